#!/usr/bin/env bash
# The GPU suite on a machine with an NVIDIA GPU: aibench's CUDA workloads
# side by side with PyTorch on the same shapes, alternating, in one call.
#
#   bash tests/gpu/run.sh --pack   (here, no GPU needed) builds build/aibench
#       and the plugin, and copies them with every non-glibc, non-CUDA shared
#       library they need into build/gpu-carry (about 45 MiB).
#   bash tests/gpu/run.sh          (on the GPU machine) uses build/gpu-carry
#       when present, else builds with make (needs the -dev packages there);
#       prints the GPU, the driver and `aibench devices`, runs the suite and
#       the PyTorch references ROUNDS times alternating, runs
#       compute-sanitizer over aibench's own kernels, and prints a table of
#       medians and ratios last. Logs and JSON go to $OUT (default
#       build/gpu-out). QUICK=1: one round, no sanitizer.
# Copy the checkout with build/gpu-carry to the GPU machine and run it there.
#
# CUPTI (issue 6): after the suite, membw and a bf16 GEMM run with the cupti
# profiler; the table's last part prints range-profiler DRAM bytes against
# the bytes the workload declares, GPU time and traced kernel time against
# the timed device time, PM-sampled DRAM rates against the timed GB/s, the
# passes and kernel names, and the cost of PM sampling (with/without cupti).
# Targets (issue 5): cuBLAS bf16 and fp16 GEMM at 8192^3 >= 0.95 of PyTorch;
# device-to-device copy >= 0.95 of PyTorch's copy; native fp32 GEMM >= 0.7
# of cuBLAS fp32; native bf16 tensor-core GEMM >= 0.5 of cuBLAS bf16.
# Every figure on both sides is timed with CUDA events.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
carry=$root/build/gpu-carry

if [ "${1:-}" = --pack ]; then
    make -C "$root" --no-print-directory build/aibench plugin || exit 1
    [ -e "$root/build/aibench-cuda.so" ] || { echo "the CUDA plugin was not built (nvcc missing?)"; exit 1; }
    rm -rf "$carry" && mkdir -p "$carry/lib" || exit 1
    cp "$root/build/aibench" "$root/build/aibench-cuda.so" "$carry/" || exit 1
    # glibc and the C++ runtime come from the target; CUDA libraries too.
    ldd "$root/build/aibench" "$root/build/aibench-cuda.so" | awk '$3 ~ /^\// {print $3}' | sort -u |
        grep -Ev '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libstdc\+\+|libgcc_s)\.so' |
        grep -Ev 'libcuda|libcudart|libcublas|libcudnn|libnvidia' | while read -r lib; do
            cp -L "$lib" "$carry/lib/" || exit 1
        done
    du -sh "$carry"
    exit 0
fi

OUT=${OUT:-$root/build/gpu-out}
ROUNDS=${ROUNDS:-2}
[ "${QUICK:-0}" = 1 ] && ROUNDS=1
mkdir -p "$OUT"
log=$OUT/run.log
: >"$log"
say() { echo "$@" | tee -a "$log"; }

# --- the binary -------------------------------------------------------------
if [ -x "$carry/aibench" ]; then
    A=$carry/aibench
    export LD_LIBRARY_PATH=$carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
else
    say "no build/gpu-carry: building here"
    make -C "$root" --no-print-directory build/aibench plugin >>"$log" 2>&1 || { say "build failed (see $log)"; exit 1; }
    A=$root/build/aibench
fi
"$A" --version >>"$log" 2>&1 || { say "aibench does not start here (glibc too old? see $log)"; ldd "$A" | tee -a "$log"; exit 1; }
# cuBLAS comes with the toolkit; cuDNN may live only in PyTorch's wheels.
PY=${PYTHON:-python3}
for mod in cudnn cublas; do
    d=$("$PY" -c "import nvidia.$mod, os; print(os.path.join(list(nvidia.$mod.__path__)[0], 'lib'))" 2>/dev/null) &&
        [ -d "$d" ] && export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d
done
[ -d /usr/local/cuda/lib64 ] && export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/cuda/lib64

say "== $(date -u '+%F %T UTC') on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total,pcie.link.gen.current,pcie.link.width.current,clocks.max.sm \
    --format=csv 2>&1 | tee -a "$log"
"$PY" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version())' 2>&1 | tee -a "$log"
"$A" devices --kind cuda 2>&1 | tee -a "$log" "$OUT/devices.txt"
grep -q '^cuda:0 ' "$OUT/devices.txt" || { say "aibench sees no GPU: stopping"; exit 1; }

# --- the suite: name | aibench arguments ------------------------------------
S=8192
cases=(
    "mm-bf16-cublas|matmul -p n=$S -p precision=bf16 -p impl=cublas"
    "mm-fp16-cublas|matmul -p n=$S -p precision=fp16 -p impl=cublas"
    "mm-bf16-cublaslt|matmul -p n=$S -p precision=bf16 -p impl=cublaslt"
    "mm-fp32-cublas|matmul -p n=$S -p precision=fp32 -p impl=cublas"
    "mm-tf32-cublas|matmul -p n=$S -p precision=tf32 -p impl=cublas"
    "mm-fp64-cublas|matmul -p n=$S -p precision=fp64 -p impl=cublas"
    "mm-int8-cublas|matmul -p n=$S -p precision=int8 -p impl=cublas"
    "mm-fp8-cublaslt|matmul -p n=$S -p precision=fp8 -p impl=cublaslt"
    "mm-fp32-native|matmul -p n=$S -p precision=fp32 -p impl=native"
    "mm-bf16-native|matmul -p n=$S -p precision=bf16 -p impl=native"
    "mm-fp16-native|matmul -p n=$S -p precision=fp16 -p impl=native"
    "mm-llama-up-bf16|matmul -p shape=llama7b-mlp-up-t2048 -p precision=bf16"
    "d2d-1G|transfer -p direction=d2d -p size=1G"
    "h2d-pinned-1G|transfer -p direction=h2d -p memory=pinned -p size=1G"
    "d2h-pinned-1G|transfer -p direction=d2h -p memory=pinned -p size=1G"
    "h2d-pageable-1G|transfer -p direction=h2d -p memory=pageable -p size=1G"
    "membw-copy|membw -p kernel=copy -p size=2G"
    "membw-triad|membw -p kernel=triad -p size=3G"
    "membw-read|membw -p kernel=read -p size=1G"
    "conv-bf16-cudnn|conv -p layer=resnet50-res3b-branch2b -p n=64 -p precision=bf16 -p impl=cudnn"
    "conv-fp32-cudnn|conv -p layer=resnet50-res3b-branch2b -p n=64 -p precision=fp32 -p impl=cudnn"
    "conv-fp32-native|conv -p layer=resnet50-res3b-branch2b -p n=64 -p precision=fp32 -p impl=native"
)
T="--warmup 0.3 --min-time 0.5 --max-time 2 --min-reps 10"
# The suite runs without the cupti profiler (its replays never touch the
# timings, but a CUPTI failure must not cost the suite's figures); the
# CUPTI section below runs it on its own.
P="--profilers system,nvml,rapl,perf"

# aibench's CUDA-event throughput (GFLOP/s or GB/s) for one case, or FAILED.
aib() {
    local name=$1; shift
    "$A" --db "$OUT/gpu.db" run "$@" -d cuda:0 $T $P --json -q >"$OUT/aib-$name.json" 2>>"$log"
    "$PY" - "$OUT/aib-$name.json" <<'PY' 2>>"$log" || echo FAILED
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
if r["status"] != "ok":
    print("FAILED")
    sys.stderr.write("%s: %s\n" % (r["params"], r["error"]))
else:
    print("%.3f" % r["metrics"]["device_throughput"]["value"])
PY
}

# PyTorch on the same shapes, CUDA events around each call, median of 30
# after warm-up; one line "name value" per reference.
torch_refs() {
    "$PY" - "$S" <<'PY' 2>>"$log"
import statistics, sys, torch
S = int(sys.argv[1])
dev = torch.device("cuda")
torch.backends.cudnn.benchmark = True

def timed(fn, reps=30, warm=5):
    for _ in range(warm):
        fn()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(); fn(); b.record(); b.synchronize()
        times.append(a.elapsed_time(b) * 1e-3)
    return statistics.median(times)

def mm(name, dt, m=S, n=S, k=S, tf32=False):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    a = torch.rand(m, k, device=dev).to(dt); b = torch.rand(k, n, device=dev).to(dt)
    print(name, "%.3f" % (2.0 * m * n * k / timed(lambda: torch.matmul(a, b)) / 1e9), flush=True)

def guarded(name, fn):
    try:
        fn()
    except Exception as e:  # a reference this torch cannot do is reported, not fatal
        sys.stderr.write("torch %s: %s\n" % (name, e))
        print(name, "FAILED", flush=True)

guarded("mm-bf16", lambda: mm("mm-bf16", torch.bfloat16))
guarded("mm-fp16", lambda: mm("mm-fp16", torch.float16))
guarded("mm-fp32", lambda: mm("mm-fp32", torch.float32))
guarded("mm-tf32", lambda: mm("mm-tf32", torch.float32, tf32=True))
guarded("mm-fp64", lambda: mm("mm-fp64", torch.float64))
guarded("mm-llama-up-bf16", lambda: mm("mm-llama-up-bf16", torch.bfloat16, m=2048, n=11008, k=4096))

def int8():
    a = torch.randint(-64, 64, (S, S), device=dev, dtype=torch.int8)
    b = torch.randint(-64, 64, (S, S), device=dev, dtype=torch.int8).t()  # column-major, as aibench
    print("mm-int8", "%.3f" % (2.0 * S ** 3 / timed(lambda: torch._int_mm(a, b)) / 1e9), flush=True)
guarded("mm-int8", int8)

def fp8():
    a = torch.rand(S, S, device=dev).to(torch.float8_e4m3fn)
    b = torch.rand(S, S, device=dev).to(torch.float8_e4m3fn).t()
    one = torch.ones((), device=dev)
    f = lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
    print("mm-fp8", "%.3f" % (2.0 * S ** 3 / timed(f) / 1e9), flush=True)
guarded("mm-fp8", fp8)

def copies():
    G = 1 << 30
    src = torch.empty(G, dtype=torch.uint8, device=dev).random_(0, 255); dst = torch.empty_like(src)
    print("d2d-1G", "%.3f" % (2.0 * G / timed(lambda: dst.copy_(src)) / 1e9), flush=True)
    pin = torch.empty(G, dtype=torch.uint8).pin_memory(); pin.fill_(7)
    print("h2d-pinned-1G", "%.3f" % (G / timed(lambda: dst.copy_(pin, non_blocking=True), reps=10) / 1e9), flush=True)
    print("d2h-pinned-1G", "%.3f" % (G / timed(lambda: pin.copy_(dst, non_blocking=True), reps=10) / 1e9), flush=True)
    page = torch.empty(G, dtype=torch.uint8); page.fill_(7)
    print("h2d-pageable-1G", "%.3f" % (G / timed(lambda: dst.copy_(page), reps=10) / 1e9), flush=True)
guarded("copies", copies)

def conv(name, dt, tf32=False):
    torch.backends.cudnn.allow_tf32 = tf32
    x = torch.rand(64, 128, 28, 28, device=dev).to(dt); w = torch.rand(128, 128, 3, 3, device=dev).to(dt)
    f = lambda: torch.nn.functional.conv2d(x, w, padding=1)
    flops = 2.0 * 64 * 128 * 28 * 28 * 128 * 9
    print(name, "%.3f" % (flops / timed(f) / 1e9), flush=True)
guarded("conv-bf16", lambda: conv("conv-bf16", torch.bfloat16))
guarded("conv-fp32", lambda: conv("conv-fp32", torch.float32))
PY
}

median() { printf '%s\n' "$@" | grep -v FAILED | sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "FAILED"; else print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

declare -A got ref
for ((round = 1; round <= ROUNDS; round++)); do
    say "== round $round of $ROUNDS"
    for c in "${cases[@]}"; do
        name=${c%%|*}
        v=$(aib "$name" ${c#*|})
        got[$name]="${got[$name]:-} $v"
        say "  aibench $name: $v"
    done
    while read -r name v; do
        ref[$name]="${ref[$name]:-} $v"
        say "  torch   $name: $v"
    done < <(torch_refs)
done

# --- own kernels under compute-sanitizer (memcheck, and racecheck for the
# shared-memory pipelines) ----------------------------------------------------
san=""
if [ "${QUICK:-0}" != 1 ] && command -v compute-sanitizer >/dev/null; then
    ST="--warmup 0 --min-time 0 --max-time 0.001 --min-reps 1 --profilers none" # CUPTI and the sanitizer do not mix
    for c in "matmul -p n=300 -p m=200 -p k=100 -p precision=fp32 -p impl=native" \
        "matmul -p n=300 -p m=200 -p k=100 -p precision=bf16 -p impl=native" \
        "matmul -p n=256 -p precision=fp16 -p impl=native" "matmul -p n=256 -p precision=fp64 -p impl=native" \
        "conv -p c=16 -p h=9 -p w=9 -p k=8 -p stride=2 -p impl=native" "membw -p kernel=read -p size=1M" \
        "membw -p kernel=triad -p size=3M" "transfer -p direction=d2h -p size=1M"; do
        for tool in memcheck racecheck; do
            [ $tool = racecheck ] && case $c in matmul*native*|conv*) ;; *) continue ;; esac
            if compute-sanitizer --tool $tool --error-exitcode 9 "$A" --db "$OUT/san.db" run $c -d cuda:0 $ST -q \
                >>"$OUT/sanitizer.log" 2>&1; then r=clean; else r="ERRORS (see sanitizer.log)"; fi
            san+=$(printf '  %-10s %-70s %s\n' "$tool" "$c" "$r")$'\n'
        done
    done
fi

# --- CUPTI on the GPU (issue 6): the range profiler, PM sampling and the
# kernel trace on real work; counters against what the workload declares ---
cupti_run() { # name, aibench run arguments...
    local name=$1; shift
    "$A" --db "$OUT/cupti.db" run "$@" -d cuda:0 $T --json -q >"$OUT/cupti-$name.json" 2>"$OUT/cupti-$name.err"
}
{
    echo "== CUPTI"
    id -u; grep RmProfilingAdminOnly /proc/driver/nvidia/params 2>/dev/null
    "$A" metrics dram__bytes_read 2>&1 | head -3
    "$A" metrics --passes default 2>&1
    "$A" metrics --pm --passes default 2>&1
} >>"$log" 2>&1
MM="dram__bytes_read.sum,dram__bytes_write.sum,gpu__time_duration.sum,sm__inst_executed_pipe_tensor.sum"
MM="$MM,sm__throughput.avg.pct_of_peak_sustained_elapsed,pm:dram__bytes_read.sum.per_second"
MM="$MM,pm:sm__pipe_tensor_cycles_active_realtime.avg.pct_of_peak_sustained_elapsed"
cupti_run membw-copy membw -p kernel=copy -p size=2G
cupti_run membw-triad membw -p kernel=triad -p size=3G
cupti_run mm-bf16 matmul -p n=$S -p precision=bf16 -p impl=cublas --metrics "$MM"
# Does PM sampling beside the timed samples cost anything? Same run with and
# without the cupti profiler, alternating.
for r in 1 2; do
    cupti_run ovh-none-$r membw -p kernel=copy -p size=2G --profilers none
    cupti_run ovh-cupti-$r membw -p kernel=copy -p size=2G --profilers cupti
done
cupti_table=$("$PY" - "$OUT" <<'PY' 2>>"$log"
import json, os, statistics, sys
out = sys.argv[1]
def load(name):
    try:
        doc = json.load(open(os.path.join(out, "cupti-%s.json" % name)))
        return doc["results"][0], doc.get("series", [])
    except Exception as e:
        return None, str(e)
def val(r, k):
    m = r["metrics"].get(k)
    return (m["value"], None) if m and "value" in m else (None, (m or {}).get("missing", "absent"))
rows = []
def row(name, what, v, ref, note=""):
    if v is None or ref in (None, 0):
        rows.append("%-28s %-44s %12s %12s %7s  NO FIGURE %s" % (name, what, "-", "-", "-", note))
    else:
        rows.append("%-28s %-44s %12.4g %12.4g %7.3f  %s" % (name, what, v, ref, v / ref, note))
for case in ("membw-copy", "membw-triad", "mm-bf16"):
    r, series = load(case)
    if r is None or r["status"] != "ok":
        rows.append("%-28s NO FIGURE: %s" % (case, series if r is None else r["error"]))
        continue
    passes, why = val(r, "cupti.range_passes")
    drop, _ = val(r, "cupti.range_dropped")
    rd, why_rd = val(r, "cupti.dram__bytes_read.sum/iter")
    wr, _ = val(r, "cupti.dram__bytes_write.sum/iter")
    dram = rd + wr if rd is not None and wr is not None else None
    if case.startswith("membw"):
        row(case, "DRAM bytes/iter (read+write) / declared", dram, r["bytes"], why_rd or "")
    gt, why_gt = val(r, "cupti.gpu__time_duration.sum/iter")
    dt, _ = val(r, "device_time")
    row(case, "range gpu__time/iter / timed device_time", gt, dt, why_gt or "")
    kt, why_k = val(r, "cupti.kernel_time/iter")
    row(case, "trace kernel time/iter / timed device_time", kt, dt, why_k or "")
    k1 = r["metrics"].get("cupti.kernel.1", {})
    rows.append("%-28s range passes %s, dropped %s; kernel.1: %s" % (case, passes if passes is not None else why,
                drop, k1.get("note", k1.get("missing"))))
    pm = [s for s in series if s["source"] == "cupti" and s["name"].startswith("dram__bytes_read.sum.per_s")]
    tput, _ = val(r, "device_throughput")
    if pm and pm[0]["count"]:
        wr_pm = [s for s in series if s["source"] == "cupti" and s["name"].startswith("dram__bytes_write.sum.per_s")]
        if case.startswith("membw"):
            rate = pm[0]["mean"] + (wr_pm[0]["mean"] if wr_pm else 0)
            row(case, "PM DRAM B/s mean (%d samples) / timed B/s" % pm[0]["count"], rate, tput * 1e9 if tput else None)
        else:
            rows.append("%-28s PM DRAM read B/s mean %.4g over %d samples" % (case, pm[0]["mean"], pm[0]["count"]))
    else:
        ps, why_pm = val(r, "cupti.pm_samples")
        rows.append("%-28s PM sampling NO FIGURE: %s" % (case, why_pm))
    if case == "mm-bf16":
        t, why_t = val(r, "cupti.sm__inst_executed_pipe_tensor.sum/iter")
        row(case, "tensor-pipe inst/iter / (flops/iter)", t, r["flops"], why_t or "")
ratios = []
for rr in (1, 2):
    a, _ = load("ovh-cupti-%d" % rr)
    b, _ = load("ovh-none-%d" % rr)
    if a and b and a["status"] == b["status"] == "ok":
        ratios.append(val(a, "device_throughput")[0] / val(b, "device_throughput")[0])
row("membw copy 2G", "device GB/s with cupti / with none (median)", statistics.median(ratios) if ratios else None, 1.0)
print("\n".join(rows))
PY
)
# --- the table ----------------------------------------------------------------
row() { # name aibench-case reference-key ref-is-aibench target
    local a r
    a=$(median ${got[$2]:-FAILED})
    if [ "$4" = aib ]; then r=$(median ${got[$3]:-FAILED}); else r=$(median ${ref[$3]:-FAILED}); fi
    awk -v n="$1" -v a="$a" -v r="$r" -v t="$5" -v w="$3" 'BEGIN {
        if (a == "FAILED" || r == "FAILED") { printf "%-34s %12s %12s %-20s %7s %8s %s\n", n, a, r, w, "-", t, (t == "-" ? "" : "NO FIGURE"); exit }
        q = a / r; v = (t == "-") ? "" : (q >= t ? "ok" : "BELOW TARGET");
        printf "%-34s %12.1f %12.1f %-20s %7.3f %8s %s\n", n, a, r, w, q, t, v }'
}
{
    echo
    echo "GPU suite, medians of $ROUNDS rounds (GFLOP/s or GB/s, CUDA events on both sides); $(date -u +%F)"
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null
    printf '%-34s %12s %12s %-20s %7s %8s\n' "case" "aibench" "reference" "(reference)" "ratio" "target"
    row "matmul bf16 cublas 8192^3" mm-bf16-cublas mm-bf16 torch 0.95
    row "matmul fp16 cublas 8192^3" mm-fp16-cublas mm-fp16 torch 0.95
    row "matmul bf16 cublaslt 8192^3" mm-bf16-cublaslt mm-bf16 torch -
    row "matmul fp32 cublas 8192^3" mm-fp32-cublas mm-fp32 torch -
    row "matmul tf32 cublas 8192^3" mm-tf32-cublas mm-tf32 torch -
    row "matmul fp64 cublas 8192^3" mm-fp64-cublas mm-fp64 torch -
    row "matmul int8 cublas 8192^3 (GOP/s)" mm-int8-cublas mm-int8 torch -
    row "matmul fp8 cublaslt 8192^3" mm-fp8-cublaslt mm-fp8 torch -
    row "matmul fp32 native / cublas" mm-fp32-native mm-fp32-cublas aib 0.7
    row "matmul bf16 native / cublas" mm-bf16-native mm-bf16-cublas aib 0.5
    row "matmul fp16 native / cublas" mm-fp16-native mm-fp16-cublas aib -
    row "matmul llama7b-mlp-up bf16" mm-llama-up-bf16 mm-llama-up-bf16 torch -
    row "transfer d2d 1 GiB (read+write)" d2d-1G d2d-1G torch 0.95
    row "transfer h2d pinned 1 GiB" h2d-pinned-1G h2d-pinned-1G torch -
    row "transfer d2h pinned 1 GiB" d2h-pinned-1G d2h-pinned-1G torch -
    row "transfer h2d pageable 1 GiB" h2d-pageable-1G h2d-pageable-1G torch -
    row "membw copy (2 x 1 GiB) / torch d2d" membw-copy d2d-1G torch -
    row "membw triad (3 x 1 GiB) / torch d2d" membw-triad d2d-1G torch -
    row "membw read (1 GiB) / torch d2d" membw-read d2d-1G torch -
    row "conv res3b-branch2b n=64 bf16 cudnn" conv-bf16-cudnn conv-bf16 torch -
    row "conv res3b-branch2b n=64 fp32 cudnn" conv-fp32-cudnn conv-fp32 torch -
    row "conv fp32 native / cudnn" conv-fp32-native conv-fp32-cudnn aib -
    echo
    echo "CUPTI (counters from replays and PM sampling vs the clean timed figures):"
    printf '%-28s %-44s %12s %12s %7s\n' "case" "figure" "value" "reference" "ratio"
    printf '%s\n' "${cupti_table:-NO FIGURE: the CUPTI report script failed (see run.log)}"
    if [ -n "$san" ]; then echo; echo "compute-sanitizer on aibench's kernels:"; printf '%s' "$san"; fi
} | tee "$OUT/table.txt" | tee -a "$log"
grep -q "BELOW TARGET\|NO FIGURE\|ERRORS" "$OUT/table.txt" && exit 1
exit 0
