# CPU membw triad against likwid-bench's STREAM triad (Debian package
# likwid; the stream_* kernel for the same instruction set, normal stores),
# same working set and threads pinned the same way, in the same invocation,
# alternating, ROUNDS times; the ratio is the median of the rounds' ratios.
# Both count 24 bytes per element (two loads, one store, no
# write-allocate). Target: aibench / likwid-bench >= 0.95.
# SIZE is the working set of the three arrays in bytes; the default, 3 GB,
# is 1 GB per array: at least 4x the last-level cache a core of most
# machines can reach (SIZE=0 uses aibench's own default, 4x the LLC hwloc
# reports, and the same total for likwid-bench).
# usage: AIBENCH=build/aibench bash tests/perf/perf_cpu_membw.sh
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
A=${AIBENCH:-$root/build/aibench}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-$(nproc)}
SIZE=${SIZE:-3000000000}
command -v likwid-bench >/dev/null || { echo "likwid-bench not found (apt-get install likwid)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if grep -qw avx512f /proc/cpuinfo; then simd=avx512; lk=stream_avx512_fma
elif grep -qw avx2 /proc/cpuinfo; then simd=avx2; lk=stream_avx_fma
else simd=portable; lk=stream_sse; fi

# aibench: "GB/s TOTAL_BYTES" (total: the three arrays, as aibench sized them)
aib() {
    "$A" --db "$tmp/perf.db" run membw -p kernel=triad -p size=$SIZE -p threads=$THREADS -p simd=$simd \
        --warmup 0.3 --min-time 1 --max-time 4 --min-reps 5 --json -q 2>"$tmp/err" | python3 -c '
import json, sys
r = json.load(sys.stdin)["results"][0]
ok = r["status"] == "ok"
print("%.3f" % r["throughput"] if ok else "FAILED", int(r["metrics"]["array_bytes"]["value"]) * 3)' \
        || { echo FAILED 0; cat "$tmp/err" >&2; }
}
# likwid-bench: MByte/s (10^6 bytes) -> GB/s
ref() {
    likwid-bench -t $lk -w N:$(($1 / 1000))kB:$THREADS 2>&1 |
        awk '/^MByte\/s:/ {printf "%.3f\n", $2 / 1000; found=1} END {if (!found) print "FAILED"}'
}

echo "membw triad on $(nproc) CPUs, $THREADS threads, aibench simd=$simd vs likwid-bench $lk," \
     "$ROUNDS alternating rounds; $(date -u +%F)"
as=(); rs=()
for ((i = 0; i < ROUNDS; i++)); do
    # back to back, in alternating order; likwid-bench gets aibench's total
    if ((i % 2)) && [ -n "${total:-}" ]; then
        r=$(ref "$total"); read -r a total < <(aib)
    else
        read -r a total < <(aib); r=$(ref "$total")
    fi
    [ "$a" = FAILED ] && { echo "aibench FAILED"; exit 1; }
    [ "$r" = FAILED ] && { echo "likwid-bench FAILED"; likwid-bench -t $lk -w N:$((total / 1000))kB:$THREADS; exit 1; }
    as+=("$a"); rs+=("$r")
done
python3 - "$total" "${as[*]}" "${rs[*]}" <<'PY'
import statistics, sys
total = int(sys.argv[1])
a = [float(x) for x in sys.argv[2].split()]
r = [float(x) for x in sys.argv[3].split()]
q = statistics.median(x / y for x, y in zip(a, r))
print("triad, %.2f GB working set: aibench %.2f GB/s  likwid-bench %.2f GB/s  ratio %.3f  "
      "(target >= 0.95) %s" % (total / 1e9, statistics.median(a), statistics.median(r), q,
                               "ok" if q >= 0.95 else "BELOW TARGET"))
print("  rounds (aibench/likwid-bench): " + " ".join("%.2f/%.2f" % p for p in zip(a, r)))
sys.exit(0 if q >= 0.95 else 1)
PY
