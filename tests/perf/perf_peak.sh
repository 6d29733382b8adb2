# CPU peak (FMA chains in registers) against likwid-bench's peakflops
# kernels for the same instruction set and precision (Debian package likwid:
# peakflops_sp_avx512_fma / peakflops_avx512_fma, or the avx_fma ones), on
# 1 thread and on THREADS threads, in the same invocation, alternating,
# ROUNDS times; the ratio is the median of the rounds' ratios. likwid-bench
# runs from a 32 kB-per-thread L1-resident array (one load per 12 FMAs);
# aibench touches no memory in its loop, and runs without profilers (clean
# timing, no sampler thread beside it). Target: aibench / likwid-bench >= 0.9.
# usage: AIBENCH=build/aibench bash tests/perf/perf_peak.sh
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
A=${AIBENCH:-$root/build/aibench}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-$(nproc)}
command -v likwid-bench >/dev/null || { echo "likwid-bench not found (apt-get install likwid)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if grep -qw avx512f /proc/cpuinfo; then simd=avx512; sfx=avx512_fma
elif grep -qw avx2 /proc/cpuinfo; then simd=avx2; sfx=avx_fma
else echo "no AVX2/AVX-512 here: nothing to compare"; exit 1; fi

# aibench: GFLOP/s of the median sample
aib() { # PRECISION THREADS
    "$A" --db "$tmp/perf.db" run peak -p precision=$1 -p threads=$2 -p simd=$simd \
        --warmup 0.2 --min-time 1 --max-time 3 --min-reps 5 --profilers none --json -q 2>"$tmp/err" | python3 -c '
import json, sys
r = json.load(sys.stdin)["results"][0]
print("%.3f" % r["throughput"] if r["status"] == "ok" else "FAILED")' \
        || { echo FAILED; cat "$tmp/err" >&2; }
}
# likwid-bench: MFlops/s -> GFLOP/s
ref() { # PRECISION THREADS
    local k=peakflops_$sfx
    [ "$1" = fp32 ] && k=peakflops_sp_$sfx
    likwid-bench -t $k -W N:$((32 * $2))kB:$2 2>&1 |
        awk '/^MFlops\/s:/ {printf "%.3f\n", $2 / 1000; found=1} END {if (!found) print "FAILED"}'
}

echo "peak on $(nproc) CPUs, aibench simd=$simd vs likwid-bench peakflops*_$sfx, $ROUNDS alternating" \
     "rounds; $(date -u +%F)"
status=0
for prec in fp32 fp64; do
    for t in 1 $THREADS; do
        as=(); rs=()
        for ((i = 0; i < ROUNDS; i++)); do
            if ((i % 2)); then r=$(ref $prec $t); a=$(aib $prec $t)
            else a=$(aib $prec $t); r=$(ref $prec $t); fi
            [ "$a" = FAILED ] && { echo "aibench FAILED"; exit 1; }
            [ "$r" = FAILED ] && { echo "likwid-bench FAILED"; exit 1; }
            as+=("$a"); rs+=("$r")
        done
        python3 - "$prec" "$t" "${as[*]}" "${rs[*]}" <<'PY' || status=1
import statistics, sys
prec, t = sys.argv[1], sys.argv[2]
a = [float(x) for x in sys.argv[3].split()]
r = [float(x) for x in sys.argv[4].split()]
q = statistics.median(x / y for x, y in zip(a, r))
print("%s, %s thread(s): aibench %.1f GFLOP/s  likwid-bench %.1f GFLOP/s  ratio %.3f  (target >= 0.9) %s"
      % (prec, t, statistics.median(a), statistics.median(r), q, "ok" if q >= 0.9 else "BELOW TARGET"))
print("  rounds (aibench/likwid-bench): " + " ".join("%.1f/%.1f" % p for p in zip(a, r)))
sys.exit(0 if q >= 0.9 else 1)
PY
    done
done
exit $status
