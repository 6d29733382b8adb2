# `aibench devices`: text and JSON listings, backend status lines, option errors.
. "$(dirname "$0")/lib.sh"

gpu=no
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then gpu=yes; fi

expect_rc 0 "$AIBENCH" devices
contains "$OUT" "cpu  "
contains "$OUT" "  cores:"
contains "$OUT" "  peak_method:"
if [ "$gpu" = yes ]; then contains "$OUT" "cuda:0  "; else contains "$OUT" "cuda: unavailable:"; fi
# PoCL (pocl-opencl-icd) is a real OpenCL device; without any driver the
# backend still gets its one "opencl: no devices (...)" line.
if [ -e /etc/OpenCL/vendors/pocl.icd ]; then contains "$OUT" "opencl:0:0  "; else contains "$OUT" "opencl"; fi

expect_rc 0 "$AIBENCH" devices --json
printf '%s\n' "$OUT" > "$WORK/devices.json"
python3 -m json.tool "$WORK/devices.json" >/dev/null || fail "devices --json is not valid JSON: $OUT"
python3 - "$WORK/devices.json" "$gpu" <<'PY' || fail "devices --json has the wrong shape: $OUT"
import json, sys
doc = json.load(open(sys.argv[1]))
ids = [d["id"] for d in doc["devices"]]
assert ids[0] == "cpu", ids
for d in doc["devices"]:
    assert {"id", "kind", "name", "props"} <= d.keys(), d
backends = {b["name"]: b for b in doc["backends"]}
assert set(backends) == {"cpu", "opencl", "cuda"}, backends
assert backends["cpu"]["available"] is True
if sys.argv[2] == "no":
    assert backends["cuda"]["available"] is False and backends["cuda"]["reason"], backends["cuda"]
PY

# A missing plugin is an explained absence, not a failure.
AIBENCH_CUDA_PLUGIN="$WORK/nowhere/aibench-cuda.so" expect_rc 0 "$AIBENCH" devices --kind cuda
contains "$OUT" "cuda: unavailable: CUDA plugin not found at $WORK/nowhere/aibench-cuda.so"
not_contains "$OUT" "cpu  "

expect_rc 0 "$AIBENCH" devices --kind cpu,opencl
contains "$OUT" "cpu  "
not_contains "$OUT" "cuda"

expect_rc 0 "$AIBENCH" devices --help
contains "$OUT" "--json"
contains "$OUT" "--kind"

expect_rc 2 "$AIBENCH" devices --bogus
one_line "$ERR"
contains "$ERR" "--bogus"

expect_rc 2 "$AIBENCH" devices --kind tpu
one_line "$ERR"
contains "$ERR" "tpu"
