# OpenCL on this machine's device (PoCL in CI) against clpeak, in the same
# invocation, alternating, ROUNDS times; prints medians and ratios
# aibench / clpeak. Both sides are timed with OpenCL profiling events
# (aibench's device_throughput metric, clpeak --use-event-timer).
#   membw kernel=read (a sum, like clpeak's global bandwidth kernel) vs the
#     best vector width of clpeak's global memory bandwidth: target >= 0.9
#   matmul fp32 (aibench's tiled kernel) next to clpeak's single-precision
#     peak (best vector width): a fraction of peak, no target
# usage: AIBENCH=build/aibench bash tests/perf/perf_opencl.sh
#        (DEVICE=opencl:P:D, ROUNDS=3, SIZE=512M, N=1024 to change)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
A=${AIBENCH:-$root/build/aibench}
DEVICE=${DEVICE:-opencl:0:0}
ROUNDS=${ROUNDS:-3}
SIZE=${SIZE:-512M}
N=${N:-1024}
command -v clpeak >/dev/null || { echo "clpeak is not installed (scripts/install-deps.sh installs it)"; exit 1; }
plat=${DEVICE#opencl:}; dev=${plat#*:}; plat=${plat%%:*}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
T="--warmup 0.3 --min-time 1 --max-time 4 --min-reps 5"

# aibench's device-timed throughput for one entry, or FAILED
aib() {
    "$A" --db "$tmp/perf.db" run "$@" -d "$DEVICE" $T --json -q 2>"$tmp/err" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["results"][0]
print("%.3f" % r["metrics"]["device_throughput"]["value"] if r["status"]=="ok" else "FAILED")' \
        2>/dev/null || { echo FAILED; cat "$tmp/err" >&2; }
}
# clpeak's best figure over vector widths in the section it prints for TEST
clp() {
    clpeak -p "$plat" -d "$dev" --use-event-timer "$1" 2>&1 |
        awk '/float[0-9]* *:/ {v=$3+0; if (v>m) m=v} END {if (m>0) printf "%.3f\n", m; else print "FAILED"}'
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

status=0
echo "OpenCL $DEVICE vs clpeak, $ROUNDS alternating rounds; $(date -u +%F)"
bw=() ref=() tri=() mm=() peak=()
for ((i = 0; i < ROUNDS; i++)); do
    bw+=("$(aib membw -p kernel=read -p size="$SIZE")")
    ref+=("$(clp --global-bandwidth)")
    tri+=("$(aib membw -p kernel=triad -p size="$SIZE")")
    mm+=("$(aib matmul -p n="$N" -p precision=fp32)")
    peak+=("$(clp --compute-sp)")
done
for v in "${bw[@]}" "${ref[@]}" "${tri[@]}" "${mm[@]}" "${peak[@]}"; do
    [ "$v" = FAILED ] && { echo "a run FAILED: membw ${bw[*]} | clpeak ${ref[*]} | matmul ${mm[*]} | peak ${peak[*]}"; exit 1; }
done
b=$(median "${bw[@]}") r=$(median "${ref[@]}") t=$(median "${tri[@]}") m=$(median "${mm[@]}") p=$(median "${peak[@]}")
awk -v a="$b" -v r="$r" -v as="${bw[*]}" -v rs="${ref[*]}" -v s="$SIZE" 'BEGIN {
    q = a / r; printf "membw read size=%-6s      aibench %7.2f GB/s     clpeak global bandwidth %7.2f GB/s     ratio %.3f  (target >= 0.90) %s\n",
        s, a, r, q, (q >= 0.9 ? "ok" : "BELOW TARGET");
    printf "%-29s rounds: aibench %s | clpeak %s\n", "", as, rs; exit !(q >= 0.9) }' || status=1
awk -v a="$t" -v r="$r" -v as="${tri[*]}" -v s="$SIZE" 'BEGIN {
    printf "membw triad size=%-6s     aibench %7.2f GB/s     (STREAM bytes; clpeak %7.2f GB/s read-only)  ratio %.3f  (information)\n", s, a, r, a / r;
    printf "%-29s rounds: aibench %s\n", "", as }'
awk -v a="$m" -v r="$p" -v as="${mm[*]}" -v rs="${peak[*]}" -v n="$N" 'BEGIN {
    printf "matmul fp32 n=%-5d           aibench %7.2f GFLOP/s  clpeak single-precision peak %7.2f GFLOP/s  ratio %.3f  (of peak)\n", n, a, r, a / r;
    printf "%-29s rounds: aibench %s | clpeak %s\n", "", as, rs }'
exit $status
