# `aibench metrics` (CUPTI's host API through the CUDA plugin; no GPU
# needed with --chip) and `run --metrics` on a CPU device: listings, pass
# counts, and every kind of bad input (one line, exit 2, nothing written).
. "$(dirname "$0")/lib.sh"
A=$AIBENCH

gpu=no
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then gpu=yes; fi

expect_rc 0 $A --help
contains "$OUT" "metrics "
expect_rc 0 $A metrics --help
for o in "--chip CHIP" "--pm" "--passes LIST" "--json" "FILTER"; do contains "$OUT" "$o"; done

bad() { expect_rc 2 $A "$@"; one_line "$ERR"; [ -z "$OUT" ] || fail "stdout on bad input: $OUT"; }

if [ "${AIB_SANITIZED:-0}" = 1 ]; then
    # libcupti opens libnvperf_host with RTLD_DEEPBIND, which AddressSanitizer
    # refuses by aborting: the sanitized build says so in one line instead.
    bad metrics --chip GH100
    contains "$ERR" "CUPTI cannot run in a process built with AddressSanitizer"
    bad metrics --chip GH100 --pm --passes default
    contains "$ERR" "AddressSanitizer"
else
# The list for a chip named on the command line, with descriptions.
expect_rc 0 $A metrics --chip GH100
line=$(printf '%s\n' "$OUT" | grep -E '^dram__bytes_read ')
contains "$line" "counter"
contains "$line" "byte"
contains "$line" "# of bytes read from DRAM"
n=$(printf '%s\n' "$OUT" | head -1 | awk '{print $1}')
[ "$n" -gt 1000 ] || fail "expected over 1000 base metrics for GH100, got '$n'"
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq $((n + 2)) ] || fail "header says $n metrics, the table has another count"

# A filter; --json parses and has the same names.
expect_rc 0 $A metrics --chip GH100 dram__bytes_
contains "$OUT" "dram__bytes_write"
not_contains "$OUT" "sm__throughput"
expect_rc 0 $A metrics --chip GH100 --json dram__bytes_
printf '%s\n' "$OUT" >"$WORK/m.json"
python3 - "$WORK/m.json" <<'PY' || fail "metrics --json has the wrong shape: $OUT"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["chip"] == "GH100" and d["profiler"] == "range_profiler", d
names = {m["name"]: m for m in d["metrics"]}
assert {"dram__bytes_read", "dram__bytes_write"} <= set(names), names.keys()
assert names["dram__bytes_read"]["description"] == "# of bytes read from DRAM", names["dram__bytes_read"]
assert names["dram__bytes_read"]["type"] == "counter" and names["dram__bytes_read"]["unit"] == "byte"
assert all(n.find("dram__bytes_") >= 0 for n in names)
PY
expect_rc 0 $A metrics --chip GH100 --pm --json
printf '%s\n' "$OUT" >"$WORK/pm.json"
python3 - "$WORK/pm.json" <<'PY' || fail "metrics --pm --json: wrong shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["profiler"] == "pm_sampling"
assert any(m["name"] == "sm__warps_active_realtime" for m in d["metrics"])
PY

# Passes: the default PM-sampling set fits its one pass; the default range
# set needs at least one; a set that cannot fit one PM pass says so (exit 1).
expect_rc 0 $A metrics --chip GH100 --pm --passes default
contains "$OUT" "1 pass: fits one PM-sampling pass"
expect_rc 0 $A metrics --chip GH100 --pm --passes default --json
printf '%s\n' "$OUT" >"$WORK/p.json"
python3 -c "import json,sys; d=json.load(open('$WORK/p.json')); assert d['passes'] == 1 and d['fits_one_pass'] is True and len(d['metrics']) >= 5, d" ||
    fail "PM passes JSON: $OUT"
expect_rc 0 $A metrics --chip GH100 --passes default
p=$(printf '%s\n' "$OUT" | sed -n 's/.*metrics, \([0-9][0-9]*\) pass.*/\1/p')
[ -n "$p" ] && [ "$p" -ge 1 ] || fail "no pass count >= 1 in: $OUT"
expect_rc 0 $A metrics --chip GH100 --passes dram__bytes_read.sum,sm__throughput.avg.pct_of_peak_sustained_elapsed
contains "$OUT" "range profiler: 2 metrics"
p2=$(printf '%s\n' "$OUT" | sed -n 's/.*metrics, \([0-9][0-9]*\) pass.*/\1/p')
[ "$p2" -gt 1 ] || fail "sm__throughput needs several range passes, got: $OUT"
expect_rc 1 $A metrics --chip GH100 --pm --passes sm__throughput.avg.pct_of_peak_sustained_elapsed
contains "$OUT" "does not fit one PM-sampling pass"

# Bad input: one line, exit 2.
bad metrics --chip GH100 --passes dram__bytes_reed.sum
contains "$ERR" "unknown metric 'dram__bytes_reed.sum'"
contains "$ERR" "did you mean 'dram__bytes_read.sum'"
bad metrics --chip GH100 --pm --passes dram__bytes_read.sum,sm__warps_activ_realtime.avg.pct_of_peak_sustained_active
contains "$ERR" "unknown metric 'sm__warps_activ_realtime"
bad metrics --chip GH100 --passes dram__bytes_read
contains "$ERR" "needs a rollup"
bad metrics --chip GX999
contains "$ERR" "unknown chip 'GX999'"
contains "$ERR" "GH100"
bad metrics --chip GX999 --passes default
contains "$ERR" "unknown chip 'GX999'"
bad metrics --chip GH100 --passes ''
contains "$ERR" "--passes: empty list"
bad metrics --chip GH100 --passes a.sum,,b.sum
contains "$ERR" "empty metric name"
bad metrics --chip GH100 --passes pm:dram__bytes_read.sum
contains "$ERR" "give --pm"

# No chip: the first GPU's, or a refusal naming the way out.
if [ "$gpu" = yes ]; then
    expect_rc 0 $A metrics dram__bytes_read
    contains "$OUT" "dram__bytes_read"
else
    bad metrics
    contains "$ERR" "no GPU here"
    contains "$ERR" "give --chip CHIP, one of"
    contains "$ERR" "GH100"
fi

# CUPTI absent: one line naming what is missing and where it looked.
mkdir -p "$WORK/empty"
AIBENCH_CUPTI_PATH="$WORK/empty" bad metrics --chip GH100
contains "$ERR" "CUPTI not found: libcupti.so."
contains "$ERR" "$WORK/empty"
fi

# Option errors and a missing plugin come before CUPTI is loaded.
bad metrics --chip
contains "$ERR" "needs a value"
bad metrics --frob
contains "$ERR" "unknown option"
bad metrics --chip GH100 a b
contains "$ERR" "unexpected argument 'b'"
bad metrics --chip GH100 --passes default dram
contains "$ERR" "not both"
AIBENCH_CUDA_PLUGIN="$WORK/nowhere/aibench-cuda.so" bad metrics --chip GH100
contains "$ERR" "CUDA plugin not found at $WORK/nowhere/aibench-cuda.so"

# run --metrics: CUPTI counters are for CUDA devices; on a CPU device the
# option is refused before anything runs or is written.
DB=$WORK/r.db
bad --db "$DB" run matmul --device cpu --metrics dram__bytes_read.sum -q
contains "$ERR" "CUDA devices only"
bad --db "$DB" run matmul --metrics 'dram__bytes_read.sum,,x.sum' -q
contains "$ERR" "--metrics: an empty metric name"
bad --db "$DB" run matmul --metrics '' -q
contains "$ERR" "--metrics: empty list"
bad --db "$DB" run matmul --metrics dram__bytes_read.sum --profilers none -q
contains "$ERR" "--profilers none leaves it out"
[ ! -e "$DB" ] || fail "a refused run wrote $DB"
expect_rc 0 $A run --help
contains "$OUT" "--metrics LIST"
contains "$OUT" "cupti "
exit 0
