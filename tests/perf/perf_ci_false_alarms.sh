#!/usr/bin/env bash
# False alarms of the CI gate on this machine: one baseline run of the
# built-in `ci` suite, then N (default 20) `aibench ci --suite ci` runs
# against it. Nothing changes between the runs, so every "regressed"
# verdict is a false alarm (target: 0); "improved" ones are false too, and
# counted apart. There is no reference tool to run alongside: the figure is
# a rate, not a ratio.
# usage: AIBENCH=build/aibench bash tests/perf/perf_ci_false_alarms.sh [N]
set -u
A=${AIBENCH:-build/aibench}
N=${1:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db=$work/false-alarms.db

"$A" --db "$db" run --suite ci -q >/dev/null || { echo "baseline run failed"; exit 1; }
"$A" --db "$db" tag last baseline >/dev/null || exit 1
regressed=0 improved=0 inconclusive=0 unchanged=0 compared=0 failed_runs=0 naive=0 bad_runs=0
by_probe=0
for i in $(seq "$N"); do
    "$A" --db "$db" ci --suite ci --baseline baseline -q --json "$work/r$i.json" >"$work/out$i" 2>&1
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
        echo "run $i: exit $rc"; cat "$work/out$i"; failed_runs=$((failed_runs + 1)); continue
    fi
    # naive: what "significant and the median beyond the threshold" alone
    # would have called a regression, for comparison with the gate's rule
    read -r r im inc un n nv pr pq tq < <(python3 - "$work/r$i.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = [r["verdict"] for r in d["results"]]
t, a = d["max_regression"], d["alpha"]
naive = sum(1 for r in d["results"] if r.get("ratio") and "mann_whitney" in r
            and r["ratio"] > 1 + t and r["mann_whitney"]["p"] < a)
probe = sum(1 for r in d["results"] if "machine-speed probe" in r["reason"])
q = [r["probe_ratio"] for r in d["results"] if r.get("probe_ratio")]
q = sorted(q)[len(q) // 2] if q else float("nan")
t = sorted(r["ratio"] for r in d["results"] if r.get("ratio"))
t = t[len(t) // 2] if t else float("nan")
print(v.count("regressed"), v.count("improved"), v.count("inconclusive"), v.count("unchanged"),
      len(v), naive, probe, "%+.1f%%" % ((q - 1) * 100), "%+.1f%%" % ((t - 1) * 100))
PY
)
    naive=$((naive + nv)) by_probe=$((by_probe + pr))
    [ "$r" -eq 0 ] || bad_runs=$((bad_runs + 1))
    regressed=$((regressed + r)) improved=$((improved + im))
    inconclusive=$((inconclusive + inc)) unchanged=$((unchanged + un)) compared=$((compared + n))
    printf 'run %2d: exit %d, %d regressed, %d improved, %d inconclusive (%d by the probe), %d unchanged; median change: time %s, probe %s\n' \
        "$i" "$rc" "$r" "$im" "$inc" "$pr" "$un" "$tq" "$pq"
    [ "$r" -eq 0 ] || grep -A1 "regressed$" "$work/out$i" | sed 's/^/        /'
done
echo "ci false alarms: $regressed false regressions in $compared comparisons over $N runs" \
     "($bad_runs of $N runs would fail CI; target 0); $improved false improvements," \
     "$inconclusive inconclusive ($by_probe because the machine-speed probe moved too)," \
     "$unchanged unchanged; a median-and-p rule alone: $naive"
[ "$failed_runs" -eq 0 ]
