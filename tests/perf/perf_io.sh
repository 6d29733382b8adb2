#!/usr/bin/env bash
# aibench io vs fio, same parameters, alternating in one invocation; prints
# per-round figures and the median ratios aibench/fio for MB/s (target
# >= 0.95) and p99 completion latency (target within 15%); exits 1 when a
# run fails or a ratio misses its target.
# usage: AIBENCH=build/aibench perf_io.sh   (env: ROUNDS=3 SECS=4 SIZE=1G DIR=/var/tmp)
set -u
A=${AIBENCH:?set AIBENCH to the aibench binary}
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-4}
SIZE=${SIZE:-1G}
command -v fio >/dev/null || { echo "perf_io: fio not found (apt-get install fio)"; exit 1; }
work=$(mktemp -d "${DIR:-/var/tmp}/aibench-perf-io.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# name pattern bs iodepth engine (fio rw and ioengine follow)
cases=(
    "seqread  seqread  1M 1  psync"
    "seqwrite seqwrite 1M 1  psync"
    "randread randread 4k 1  psync"
    "randread randread 4k 32 io_uring"
)
fio_rw() { case $1 in seqread) echo read ;; seqwrite) echo write ;; randread) echo randread ;; randwrite) echo randwrite ;; esac; }

# prints "MB/s p99_us slat_us cpu%" for one fio run (fio's submission
# latency and CPU use show when fio itself is the limit)
run_fio() {
    local pat=$1 bs=$2 qd=$3 eng=$4
    # A fresh file each run, written before the job (as aibench pre-fills
    # its own) and removed after it (as aibench removes its own), and a
    # fresh random sequence: both tools see the same history.
    settle
    fio --name=perf --directory="$work" --filename=fio.data --size="$SIZE" --bs="$bs" --rw="$(fio_rw "$pat")" \
        --ioengine="$eng" --iodepth="$qd" --direct=1 --overwrite=1 --randrepeat=0 --time_based --runtime="$SECS" \
        --output-format=json 2>/dev/null |
        python3 -c '
import json, sys
d = json.load(sys.stdin)["jobs"][0]
side = d["write"] if d["write"]["io_bytes"] > 0 else d["read"]
print("%.3f %.3f %.2f %.1f" % (side["bw_bytes"] / 1e6, side["clat_ns"]["percentile"]["99.000000"] / 1e3,
                             side["slat_ns"]["mean"] / 1e3, d["usr_cpu"] + d["sys_cpu"]))'
    local rc=$?
    rm -f "$work/fio.data"
    return $rc
}

# Before each run: the other tool's writes and its file's removal (a discard
# on file systems mounted with it) are finished, so neither run pays for the
# other's.
settle() { sync; sleep 1; }

# prints "MB/s p99_us" for one aibench run
run_aib() {
    local pat=$1 bs=$2 qd=$3 eng=$4
    settle
    "$A" --db "$work/perf.db" run io -p dir="$work" -p size="$SIZE" -p pattern="$pat" -p bs="$bs" \
        -p iodepth="$qd" -p engine="$eng" -p direct=1 --warmup 0.2 --min-time "$SECS" --max-time "$SECS" \
        --json -q 2>/dev/null |
        python3 -c '
import json, sys
r = json.load(sys.stdin)["results"][0]
if r["status"] != "ok":
    sys.exit("aibench: " + r["status"] + ": " + r["error"])
m = r["metrics"]
print("%.3f %.3f" % (m["mb_s"]["value"], m["lat_p99_us"]["value"]))'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

status=0
echo "machine: $(nproc) CPUs, load average $(cut -d" " -f1-3 /proc/loadavg) (other work on the machine shows here)"
echo "io vs fio: size $SIZE, direct=1, ${SECS}s per run, $ROUNDS rounds alternating (dir $work)"
for c in "${cases[@]}"; do
    read -r name pat bs qd eng <<<"$c"
    tput_r=(); p99_r=()
    for r in $(seq "$ROUNDS"); do
        f=$(run_fio "$pat" "$bs" "$qd" "$eng") || { echo "  fio failed"; status=1; continue; }
        a=$(run_aib "$pat" "$bs" "$qd" "$eng") || { echo "  aibench failed: $a"; status=1; continue; }
        read -r fm fp fs fc <<<"$f"
        read -r am ap <<<"$a"
        tr=$(awk -v a="$am" -v b="$fm" 'BEGIN { printf "%.3f", a / b }')
        pr=$(awk -v a="$ap" -v b="$fp" 'BEGIN { printf "%.3f", a / b }')
        tput_r+=("$tr"); p99_r+=("$pr")
        printf "  %-9s bs=%-3s qd=%-2s %-8s round %d: fio %8.1f MB/s p99 %8.1f us (slat %5.2f us, cpu %5.1f%%) | aibench %8.1f MB/s p99 %8.1f us | ratio %s, p99 %s\n" \
            "$name" "$bs" "$qd" "$eng" "$r" "$fm" "$fp" "$fs" "$fc" "$am" "$ap" "$tr" "$pr"
    done
    [ ${#tput_r[@]} -gt 0 ] || continue
    mt=$(printf '%s\n' "${tput_r[@]}" | median)
    mp=$(printf '%s\n' "${p99_r[@]}" | median)
    ok=$(awk -v t="$mt" -v p="$mp" 'BEGIN { print (t >= 0.95 && p >= 0.85 && p <= 1.15) ? "ok" : "MISS" }')
    [ "$ok" = ok ] || status=1
    printf "RATIO io %-9s bs=%-3s qd=%-2s %-8s MB/s aibench/fio %s (>= 0.95)  p99 aibench/fio %s (0.85..1.15)  %s\n" \
        "$name" "$bs" "$qd" "$eng" "$mt" "$mp" "$ok"
done
exit $status
