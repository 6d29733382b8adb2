#!/usr/bin/env bash
# aibench net vs iperf3 (TCP throughput received, 1 and 2 streams, 128 KiB
# writes: aibench's recv_gbit_s vs iperf3's receiver sum)
# and vs sockperf (TCP ping-pong p50, 64-byte messages) on loopback,
# alternating in one invocation; prints median ratios aibench/reference:
# throughput (target >= 0.95) and p50 latency (target <= 1.10). sockperf
# reports one-way latency (half the round trip); aibench's round trip is
# halved for the comparison. Exits 1 when a run fails or a ratio misses
# its target.
# usage: AIBENCH=build/aibench perf_net.sh   (env: ROUNDS=3 SECS=4)
set -u
A=${AIBENCH:?set AIBENCH to the aibench binary}
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-4}
for t in iperf3 sockperf; do
    command -v $t >/dev/null || { echo "perf_net: $t not found (apt-get install $t)"; exit 1; }
done
work=$(mktemp -d) || exit 1
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT

# servers: aibench serve on any free port, iperf3 and sockperf on ports
# found free by aibench (bind, read, release)
"$A" serve --port 0 -q >"$work/serve.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    peer=$(sed -n 's/^aibench serve: listening on \([^ ]*\) .*/\1/p' "$work/serve.out")
    [ -n "$peer" ] && break
    sleep 0.05
done
[ -n "$peer" ] || { echo "perf_net: aibench serve did not start"; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ip_port=$(free_port); sp_port=$(free_port)
iperf3 -s -B 127.0.0.1 -p "$ip_port" >/dev/null 2>&1 &
pids+=($!)
sockperf sr --tcp -i 127.0.0.1 -p "$sp_port" >/dev/null 2>&1 &
pids+=($!)
sleep 1

aib_metric() { # params... -> value of metric $M
    "$A" --db "$work/perf.db" run net -p peer="$peer" "$@" --warmup 0.3 --min-time "$SECS" --max-time "$SECS" --json -q 2>/dev/null |
        M=$M python3 -c '
import json, os, sys
r = json.load(sys.stdin)["results"][0]
if r["status"] != "ok":
    sys.exit("aibench: " + r["status"] + ": " + r["error"])
print("%.4f" % r["metrics"][os.environ["M"]]["value"])'
}
iperf_gbit() {
    iperf3 -c 127.0.0.1 -p "$ip_port" -t "$SECS" -P "$1" -J 2>/dev/null |
        python3 -c 'import json, sys; print("%.4f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
}
sockperf_p50() {
    sockperf pp --tcp -i 127.0.0.1 -p "$sp_port" -m 64 -t "$SECS" 2>&1 |
        sed -n 's/.*percentile 50.000 = *\([0-9.]*\).*/\1/p' | head -1
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

status=0
echo "machine: $(nproc) CPUs, load average $(cut -d" " -f1-3 /proc/loadavg) (other work on the machine shows here)"
echo "net vs iperf3/sockperf on loopback: ${SECS}s per run, $ROUNDS rounds alternating"
for streams in 1 2; do
    rs=()
    for r in $(seq "$ROUNDS"); do
        i=$(iperf_gbit "$streams")
        a=$(M=recv_gbit_s aib_metric -p mode=tcp -p streams="$streams")
        [ -n "$i" ] && [ -n "$a" ] || { echo "  a run failed (iperf3 '$i', aibench '$a')"; status=1; continue; }
        rr=$(awk -v a="$a" -v b="$i" 'BEGIN { printf "%.3f", a / b }')
        rs+=("$rr")
        printf "  tcp streams=%d round %d: iperf3 %7.2f Gbit/s | aibench %7.2f Gbit/s | ratio %s\n" "$streams" "$r" "$i" "$a" "$rr"
    done
    [ ${#rs[@]} -gt 0 ] || continue
    m=$(printf '%s\n' "${rs[@]}" | median)
    ok=$(awk -v m="$m" 'BEGIN { print (m >= 0.95) ? "ok" : "MISS" }')
    [ "$ok" = ok ] || status=1
    printf "RATIO net tcp streams=%d Gbit/s aibench/iperf3 %s (>= 0.95)  %s\n" "$streams" "$m" "$ok"
done
rs=()
for r in $(seq "$ROUNDS"); do
    s=$(sockperf_p50)
    a=$(M=rtt_p50_us aib_metric -p mode=pingpong -p msg=64)
    [ -n "$s" ] && [ -n "$a" ] || { echo "  a run failed (sockperf '$s', aibench '$a')"; status=1; continue; }
    half=$(awk -v a="$a" 'BEGIN { printf "%.3f", a / 2 }')
    rr=$(awk -v a="$half" -v b="$s" 'BEGIN { printf "%.3f", a / b }')
    rs+=("$rr")
    printf "  pingpong msg=64 round %d: sockperf p50 %7.3f us one-way | aibench p50 %7.3f us round trip = %7.3f one-way | ratio %s\n" \
        "$r" "$s" "$a" "$half" "$rr"
done
if [ ${#rs[@]} -gt 0 ]; then
    m=$(printf '%s\n' "${rs[@]}" | median)
    ok=$(awk -v m="$m" 'BEGIN { print (m <= 1.10) ? "ok" : "MISS" }')
    [ "$ok" = ok ] || status=1
    printf "RATIO net pingpong p50 latency aibench/sockperf %s (<= 1.10)  %s\n" "$m" "$ok"
fi
exit $status
