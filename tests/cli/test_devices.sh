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

# CI has nvcc but no GPU: the plugin must have been built next to the binary,
# loaded, and have answered with the driver's reason (not "plugin not found").
if [ "${CI:-}" = true ] || [ -e "$(dirname "$AIBENCH")/aibench-cuda.so" ]; then
    [ -e "$(dirname "$AIBENCH")/aibench-cuda.so" ] || fail "CUDA plugin was not built (nvcc missing?)"
    expect_rc 0 "$AIBENCH" devices --kind cuda
    not_contains "$OUT" "plugin not found"
    if [ "$gpu" = no ]; then contains "$OUT" "cuda: unavailable: no NVIDIA driver"; fi
    # the main binary links no CUDA library
    ! ldd "$AIBENCH" | grep -Eqi 'libcuda|libcudart|libcublas|libcudnn|libcupti' || fail "aibench links a CUDA library"
    # and a CUDA run on a machine without a GPU is refused in one line, exit 2
    if [ "$gpu" = no ]; then
        expect_rc 2 "$AIBENCH" --db "$WORK/c.db" run matmul --device cuda:0
        one_line "$ERR"; contains "$ERR" "no NVIDIA driver"
    fi
fi
