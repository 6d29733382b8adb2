# CPU matmul against OpenBLAS called directly (tests/perf/gemm_ref.c), in
# the same invocation, alternating, ROUNDS times; prints medians and the
# median of the rounds' ratios aibench / reference. Targets:
#   impl=blas   vs cblas_[sd]gemm, same size and threads: >= 0.97 at
#               n = 1024, 2048, 4096, fp32 and fp64 (the tool adds nothing)
#   impl=native vs cblas_sgemm, n = 2048, 2 threads: >= 0.75
# usage: AIBENCH=build/aibench bash tests/perf/perf_cpu_matmul.sh
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
A=${AIBENCH:-$root/build/aibench}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-$(nproc)}
mkdir -p "$root/build/perf"
REF=$root/build/perf/gemm_ref
gcc -O2 -std=c11 -Wall -Wextra -Werror -o "$REF" "$root/tests/perf/gemm_ref.c" \
    $(pkg-config --cflags --libs openblas) || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# enough samples for a stable median, few enough for a few minutes in all
T="--warmup 0.3 --min-time 1 --max-time 4 --min-reps 3"

# aibench's median throughput for one entry (GFLOP/s), or FAILED
aib() {
    "$A" --db "$tmp/perf.db" run matmul "$@" $T --json -q 2>"$tmp/err" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["results"][0]; print("%.3f" % r["throughput"] if r["status"]=="ok" else "FAILED")' \
        2>/dev/null || { echo FAILED; cat "$tmp/err" >&2; }
}

status=0
# compare NAME TARGET "AIBENCH PARAMS" "REF ARGS": each round runs both back
# to back (in alternating order, against drift); the ratio is the median of
# the rounds' ratios, so each ratio compares runs under the same load.
compare() {
    local name=$1 target=$2 aparams=$3 rargs=$4 as=() rs=() a r
    for ((i = 0; i < ROUNDS; i++)); do
        if ((i % 2)); then r=$("$REF" $rargs 1 3); a=$(aib $aparams)
        else a=$(aib $aparams); r=$("$REF" $rargs 1 3); fi
        [ "$a" = FAILED ] && { echo "$name: aibench FAILED"; status=1; return; }
        as+=("$a"); rs+=("$r")
    done
    python3 - "$name" "$target" "${as[*]}" "${rs[*]}" <<'PY' || status=1
import statistics, sys
name, target = sys.argv[1], float(sys.argv[2])
a = [float(x) for x in sys.argv[3].split()]
r = [float(x) for x in sys.argv[4].split()]
q = statistics.median(x / y for x, y in zip(a, r))
print("%-34s aibench %7.1f GFLOP/s  reference %7.1f GFLOP/s  ratio %.3f  (target >= %.2f) %s"
      % (name, statistics.median(a), statistics.median(r), q, target, "ok" if q >= target else "BELOW TARGET"))
print("%-34s   rounds (aibench/reference): %s" % ("", " ".join("%.1f/%.1f" % p for p in zip(a, r))))
sys.exit(0 if q >= target else 1)
PY
}

echo "matmul on $(nproc) CPUs, $THREADS threads, $ROUNDS alternating rounds; $(date -u +%F)"
for prec in fp32 fp64; do
    for n in 1024 2048 4096; do
        compare "impl=blas $prec n=$n" 0.97 "-p n=$n -p precision=$prec -p threads=$THREADS -p impl=blas" \
            "$prec $n $THREADS"
    done
done
compare "impl=native fp32 n=2048 threads=2" 0.75 "-p n=2048 -p precision=fp32 -p threads=2 -p impl=native" \
    "fp32 2048 2"
exit $status
