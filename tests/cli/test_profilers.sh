# Profilers stored with every run, against the real binary: counters as
# metrics (software events counted, hardware events counted or missing with
# the reason), series sampled and stored in SQLite, shown by `results show`
# and in --json; --profilers and --sample-interval, and their bad input.
. "$(dirname "$0")/lib.sh"
A=$AIBENCH
DB=$WORK/p.db
Q="--warmup 0 --min-time 0.4 --max-time 0.8 --min-reps 3"

expect_rc 0 $A run --help
for o in "--profilers LIST" "--sample-interval MS" system nvml rapl perf; do contains "$OUT" "$o"; done
# Each profiler says whether it is usable here, and why not.
[ "$(printf '%s\n' "$OUT" | grep -c '          here: ')" = 5 ] || fail "not one 'here:' line per profiler: $OUT"
if ! ldconfig -p | grep -q 'libnvidia-ml.so.1 '; then
    contains "$OUT" "here: unavailable: libnvidia-ml.so.1 not found"
fi
[ -d /sys/class/powercap ] || contains "$OUT" "here: unavailable: no RAPL here"

# A real run with the default profilers, sampling every 20 ms.
expect_rc 0 $A --db "$DB" run matmul -p n=128 -p threads=2 --sample-interval 20 -q $Q
expect_rc 0 $A --db "$DB" results show last
show=$OUT
contains "$show" "metrics of matmul"
# Software events: counted (a number above 0), unless perf_event_open is
# refused here; kernel-side ones need root or perf_event_paranoid <= 1.
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
uid=$(id -u)
if [ "$uid" != 0 ] && [ "$paranoid" -ge 3 ]; then
    line=$(printf '%s\n' "$show" | grep -E "^  perf.task_clock ")
    contains "$line" "missing"; contains "$line" "perf_event_paranoid=$paranoid"
else
    tc=$(printf '%s\n' "$show" | awk '$1 == "perf.task_clock" {print $2}')
    python3 -c "import sys; sys.exit(0 if float('$tc') > 0 else 1)" || fail "perf.task_clock not > 0: '$tc'"
    for m in perf.page_faults perf.task_clock/iter cpus_used; do
        printf '%s\n' "$show" | grep -qE "^  $m +[0-9]" || fail "$m is not a number in: $show"
    done
    line=$(printf '%s\n' "$show" | grep -E "^  perf.context_switches ")
    if [ "$uid" = 0 ] || [ "$paranoid" -le 1 ]; then
        printf '%s\n' "$line" | grep -qE "^  perf.context_switches +[0-9]" || fail "bad line: $line"
    else
        contains "$line" "missing"; contains "$line" "perf_event_paranoid=$paranoid"
    fi
fi
printf '%s\n' "$show" | grep -qE "^  peak_fraction +[0-9]" || fail "no peak_fraction in: $show"
# Hardware events: a number where the kernel has a PMU, else missing with the reason.
for m in perf.cycles perf.instructions perf.branch_misses ipc; do
    line=$(printf '%s\n' "$show" | grep -E "^  $m ") || fail "$m not listed"
    case "$line" in
    *missing*) printf '%s\n' "$line" | grep -qE "no PMU|perf_event_paranoid" || fail "no reason: $line" ;;
    *) printf '%s\n' "$line" | grep -qE "^  $m +[0-9]" || fail "bad line: $line" ;;
    esac
done
if [ -d /sys/class/powercap ]; then
    printf '%s\n' "$show" | grep -qE "^  rapl.package_energy " || fail "no RAPL line"
else
    line=$(printf '%s\n' "$show" | grep -E "^  rapl.package_energy ")
    contains "$line" "missing"; contains "$line" "/sys/class/powercap absent"
    line=$(printf '%s\n' "$show" | grep -E "^  energy ")
    contains "$line" "missing"
fi
# NVML applies to CUDA entries only.
not_contains "$show" "nvml."
# Series: a summary per series.
contains "$show" "series of matmul"
for s in system.cpu.util system.cpu0.util system.mem.used system.load1; do contains "$show" "$s"; done
n=$(printf '%s\n' "$show" | awk '$1 == "system.cpu.util" {print $3}')
[ "${n:-0}" -ge 5 ] || fail "system.cpu.util has ${n:-no} samples at 20 ms over >= 0.4 s"

# Stored in SQLite: one row per series, points as n float64 blobs.
[ "$(sqlite3 "$DB" 'select count(*) from series where length(t) != 8 * n or length(v) != 8 * n')" = 0 ] \
    || fail "series blobs do not match their counts"
[ "$(sqlite3 "$DB" "select count(*) from series s join results r on r.id = s.result_id where s.source = 'system'")" -ge 4 ] \
    || fail "series not stored with the result"
[ "$(sqlite3 "$DB" "select valid from result_metrics where name = 'perf.task_clock'")" = 1 ] \
    || fail "perf.task_clock not stored as valid"
[ "$(sqlite3 "$DB" "select count(*) from result_metrics where valid = 0 and note = ''")" = 0 ] \
    || fail "a missing metric without a reason"

# --json: metrics with value or missing, series with summary and points.
expect_rc 0 $A --db "$DB" results show last --json
printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
m = d["results"][0]["metrics"]
t = m["perf.task_clock"]
assert ("value" in t and t["value"] > 0) or "perf_event_paranoid" in t["missing"], t
c = m["perf.cycles"]
assert ("value" in c and c["value"] > 0) or c["missing"], c
ser = d["series"]
util = [s for s in ser if s["source"] == "system" and s["name"] == "cpu.util"][0]
assert util["result_id"] == d["results"][0]["id"]
assert util["count"] == len(util["t"]) == len(util["v"]) >= 5, util
assert util["min"] <= util["mean"] <= util["max"], util
assert all(a < b for a, b in zip(util["t"], util["t"][1:])), util["t"]
' || fail "show --json lacks counters or series"

# --profilers none: no counters, no series; a subset: only those.
expect_rc 0 $A --db "$DB" run matmul -p n=64 --profilers none -q $Q
[ "$(sqlite3 "$DB" "select count(*) from result_metrics m join results r on r.id = m.result_id where r.run_id = (select max(id) from runs) and m.name like 'perf.%'")" = 0 ] \
    || fail "--profilers none still stored perf counters"
[ "$(sqlite3 "$DB" 'select count(*) from series where run_id = (select max(id) from runs)')" = 0 ] \
    || fail "--profilers none still stored series"
expect_rc 0 $A --db "$DB" run matmul -p n=64 --profilers perf -q $Q
expect_rc 0 $A --db "$DB" results show last
contains "$OUT" "perf.task_clock"; not_contains "$OUT" "system."; not_contains "$OUT" "rapl."

# Deleting a run deletes its series.
expect_rc 0 $A --db "$DB" results delete 1
[ "$(sqlite3 "$DB" 'select count(*) from series where run_id = 1')" = 0 ] || fail "series of a deleted run remain"

# Bad input: one line, exit 2, nothing written.
for bad in "--profilers bogus" "--profilers perf,,rapl" "--sample-interval 0" "--sample-interval -5" \
           "--sample-interval 1000000" "--sample-interval abc"; do
    expect_rc 2 $A --db "$WORK/none.db" run matmul -p n=32 $bad $Q
    one_line "$ERR"
    [ ! -e "$WORK/none.db" ] || fail "'$bad' wrote a database"
done
expect_rc 2 $A --db "$WORK/none.db" run matmul --profilers bogus
contains "$ERR" "unknown profiler 'bogus'"
expect_rc 2 $A --db "$WORK/none.db" run matmul --sample-interval 0
contains "$ERR" "--sample-interval"
