#!/usr/bin/env bash
# What profiling costs: the same CPU matmul (n=2048 by default) with the
# default profilers (system sampler at 10 Hz, perf events, RAPL) and with
# --profilers none, alternating, ROUNDS pairs, in one invocation. Prints
# each pair and the median ratio profiled / unprofiled throughput (target:
# within 1%).
# usage: AIBENCH=build/aibench bash tests/perf/perf_profilers.sh
set -u
A=${AIBENCH:?set AIBENCH to the aibench binary}
ROUNDS=${ROUNDS:-5}
N=${N:-2048}
W=$(mktemp -d)
DB=$W/perf.db
trap 'rm -rf "$W"' EXIT
# The live view (when this build has one) is not what is measured here.
NOTUI=$("$A" run --help | grep -q -- --no-tui && echo --no-tui)
RUN="matmul -p n=$N -p precision=fp32 --warmup 0.5 --min-time 4 --max-time 4 --target-ci 0.01% -q $NOTUI"
last_tput() { sqlite3 "$DB" 'select throughput from results order by id desc limit 1'; }
prof() { "$A" --db "$DB" run $RUN >/dev/null 2>&1 || exit 1; last_tput; }
bare() { "$A" --db "$DB" run $RUN --profilers none >/dev/null 2>&1 || exit 1; last_tput; }

echo "matmul n=$N fp32, 4 s of samples per run: default profilers vs --profilers none (GFLOP/s)"
ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2)); then a=$(prof); b=$(bare); else b=$(bare); a=$(prof); fi
    ratio=$(python3 -c "print('%.4f' % ($a / $b))")
    ratios+=("$ratio")
    printf '  round %d: profiled %.2f  bare %.2f  ratio %s\n' "$r" "$a" "$b" "$ratio"
done
printf '%s\n' "${ratios[@]}" | python3 -c '
import statistics, sys
r = [float(x) for x in sys.stdin.read().split()]
m = statistics.median(r)
print("profiled/bare throughput: median %.4f (%+.2f%%), min %.4f, max %.4f; target within 1%%"
      % (m, (m - 1) * 100, min(r), max(r)))'
