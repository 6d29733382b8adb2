# GPU workloads from the command line: every OpenCL workload runs on PoCL
# and verifies its answer (status ok, device-timed figures); bad input is one
# line, exit 2, and writes nothing; without a GPU, CUDA runs are refused
# with the reason.
. "$(dirname "$0")/lib.sh"

[ -e /etc/OpenCL/vendors/pocl.icd ] || fail "PoCL is not installed (scripts/install-deps.sh installs pocl-opencl-icd)"
gpu=no
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then gpu=yes; fi
DB="$WORK/r.db"
fast="--warmup 0.01 --min-time 0.05 --max-time 0.3 --min-reps 3 -q"

# Every OpenCL workload and variant, small sizes, one run; JSON to check.
expect_rc 0 "$AIBENCH" --db "$DB" run matmul -d opencl:0:0 -p n=64,100 -p precision=fp32,fp64 $fast --json
printf '%s\n' "$OUT" > "$WORK/mm.json"
expect_rc 0 "$AIBENCH" --db "$DB" run conv -d opencl:0:0 -p c=8 -p h=12 -p w=12 -p k=8 -p stride=1,2 $fast --json
printf '%s\n' "$OUT" > "$WORK/conv.json"
expect_rc 0 "$AIBENCH" --db "$DB" run membw -d opencl:0:0 -p kernel=read,copy,scale,add,triad -p size=2M $fast --json
printf '%s\n' "$OUT" > "$WORK/membw.json"
expect_rc 0 "$AIBENCH" --db "$DB" run transfer -d opencl:0:0 -p direction=h2d,d2h,d2d -p memory=pageable,pinned \
    -p size=4k,1M $fast --json
printf '%s\n' "$OUT" > "$WORK/xfer.json"
python3 - "$WORK" <<'PY' || fail "OpenCL results are not all verified and device-timed"
import json, sys
want = {"mm": 4, "conv": 2, "membw": 5, "xfer": 12}
for name, count in want.items():
    doc = json.load(open(f"{sys.argv[1]}/{name}.json"))
    res = doc["results"]
    assert len(res) == count, (name, len(res))
    for r in res:
        assert r["device"] == "opencl:0:0", r["device"]
        assert r["status"] == "ok", (name, r["params"], r["status"], r["error"])
        assert r["throughput"] > 0, r
        m = r["metrics"]
        assert m["device_time"]["value"] > 0 and m["device_throughput"]["value"] > 0, m
        unit = "GFLOP/s" if name in ("mm", "conv") else "GB/s"
        assert r["unit"] == unit and m["device_throughput"]["unit"] == unit, (r["unit"], m)
        assert "OpenCL" in m["device_throughput"].get("note", ""), m
PY

# The built-in quick suite now includes matmul on the OpenCL device.
suites=$(cd "$(dirname "$0")/../.." && pwd)/suites
expect_rc 0 "$AIBENCH" --db "$WORK/q.db" run --suite "$suites/quick.yaml" --max-time 0.3 --min-time 0.05 -q
contains "$OUT" "opencl:0:0"
contains "$OUT" ": ok, "
contains "$OUT" " 0 failed"

# Bad input: one line, exit 2, nothing written.
bad() {
    local says=$1; shift
    rm -f "$WORK/bad.db"
    expect_rc 2 "$AIBENCH" --db "$WORK/bad.db" run "$@"
    one_line "$ERR"
    contains "$ERR" "$says"
    [ ! -e "$WORK/bad.db" ] || fail "a refused run created the database: $*"
}
bad "cl_khr_fp16" matmul -d opencl:0:0 -p precision=fp16
bad "cl_khr_fp16" conv -d opencl:0:0 -p precision=fp16
max_alloc=$(clinfo --raw 2>/dev/null | awk '/CL_DEVICE_MAX_MEM_ALLOC_SIZE/ {print $NF; exit}')
[ -n "$max_alloc" ] || fail "clinfo gives no CL_DEVICE_MAX_MEM_ALLOC_SIZE"
bad "maximum allocation" transfer -d opencl:0:0 -p size=$((max_alloc + 4096))
bad "maximum allocation" membw -d opencl:0:0 -p kernel=read -p size=$((max_alloc * 2))
bad "no device 'opencl:7:3'" matmul -d opencl:7:3
bad "unknown device 'gpu:0'" matmul -d gpu:0
bad "built-in layers" conv -d opencl:0:0 -p layer=list
bad "must divide" conv -d opencl:0:0 -p groups=3
bad "impl" matmul -d opencl:0:0 -p impl=cublas

# CUDA without a GPU: refused with the driver's reason; with one, the
# plugin's checks apply (a precision name it does not know is refused).
if [ "$gpu" = no ]; then
    for w in matmul conv membw transfer; do
        bad "no NVIDIA driver" $w -d cuda:0
    done
    bad "no NVIDIA driver" matmul -d cuda:0 -p precision=bf16 -p impl=native
else
    bad "precision" matmul -d cuda:0 -p precision=fp4
fi

# The help lists every variant.
expect_rc 0 "$AIBENCH" run --help
for v in "matmul on cuda" "matmul on opencl" "conv on cuda" "conv on opencl" "membw on cuda" "membw on opencl" \
    "transfer on cuda" "transfer on opencl"; do
    contains "$OUT" "$v"
done
