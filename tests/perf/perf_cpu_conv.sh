# CPU conv impl=im2col against the same GEMM calls done directly
# (tests/perf/conv_ref.c: one cblas_sgemm per image and group on a column
# buffer filled once), over ResNet-50's distinct layers, in the same
# invocation, alternating, ROUNDS times. Prints each layer's medians and
# ratio, and the ratio for one whole ResNet-50 forward pass (batch 1: each
# layer weighted by how often it occurs, 53 convolutions). Target: the
# forward-pass ratio aibench / reference >= 0.9 in each layout.
# usage: AIBENCH=build/aibench bash tests/perf/perf_cpu_conv.sh
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
A=${AIBENCH:-$root/build/aibench}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-$(nproc)}
LAYOUTS=${LAYOUTS:-nchw nhwc}
mkdir -p "$root/build/perf"
REF=$root/build/perf/conv_ref
gcc -O2 -std=c11 -Wall -Wextra -Werror -o "$REF" "$root/tests/perf/conv_ref.c" \
    "$root/workloads/conv/layers.c" "$root/workloads/matmul/shapes.c" \
    $(pkg-config --cflags --libs openblas) || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ResNet-50 v1.5: how many times each distinct layer occurs in one pass
COUNTS="resnet50-conv1:1 resnet50-res2a-branch2a:1 resnet50-res2-branch2b:3
resnet50-res2-branch2c:4 resnet50-res2b-branch2a:2 resnet50-res3a-branch2a:1
resnet50-res3a-branch2b:1 resnet50-res3a-branch1:1 resnet50-res3-branch2c:4
resnet50-res3b-branch2a:3 resnet50-res3b-branch2b:3 resnet50-res4a-branch2a:1
resnet50-res4a-branch2b:1 resnet50-res4a-branch1:1 resnet50-res4-branch2c:6
resnet50-res4b-branch2a:5 resnet50-res4b-branch2b:5 resnet50-res5a-branch2a:1
resnet50-res5a-branch2b:1 resnet50-res5a-branch1:1 resnet50-res5-branch2c:3
resnet50-res5b-branch2a:2 resnet50-res5b-branch2b:2"
LAYERS=$(printf '%s\n' $COUNTS | cut -d: -f1 | tr '\n' ' ')
LIST=$(printf '%s' "$LAYERS" | sed 's/ *$//; s/ /,/g')
status=0

echo "conv im2col on $(nproc) CPUs, $THREADS threads, $ROUNDS alternating rounds; $(date -u +%F)"
for layout in $LAYOUTS; do
    : >"$tmp/a.txt"; : >"$tmp/r.txt"
    for ((i = 0; i < ROUNDS; i++)); do
        # aibench: "LAYER GFLOP/s FLOPS" per layer
        "$A" --db "$tmp/perf.db" run conv -p layer="$LIST" -p layout=$layout -p impl=im2col \
            -p threads=$THREADS --warmup 0.1 --min-time 0.3 --max-time 2 --min-reps 5 --json -q \
            2>"$tmp/err" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["results"]:
    layer = r["params"].split(",")[0].split("=")[1]
    ok = r["status"] == "ok"
    print(layer, "%.3f" % r["throughput"] if ok else "FAILED", r["flops"])' >>"$tmp/a.txt" \
            || { echo "aibench failed:"; cat "$tmp/err"; exit 1; }
        "$REF" $layout $THREADS 0.3 5 $LAYERS >>"$tmp/r.txt" || exit 1
    done
    grep -q FAILED "$tmp/a.txt" && { echo "aibench: an entry FAILED"; status=1; continue; }
    printf '%s\n' $COUNTS | python3 -c '
import statistics, sys
def load(path):
    d, flops = {}, {}
    for line in open(path):
        f = line.split()
        d.setdefault(f[0], []).append(float(f[1]))
        if len(f) > 2:
            flops[f[0]] = float(f[2])
    return {k: statistics.median(v) for k, v in d.items()}, flops
(a, flops), (r, _) = load(sys.argv[1]), load(sys.argv[2])
counts = [l.strip().split(":") for l in sys.stdin if l.strip()]
print("layout %s: layer, x per pass, aibench GFLOP/s, reference GFLOP/s, ratio" % sys.argv[3])
for l, c in counts:
    print("  %-26s x%d %8.1f %8.1f  %.3f" % (l, int(c), a[l], r[l], a[l] / r[l]))
# one forward pass: each layer as often as it occurs, time = flops / throughput
ta = sum(int(c) * flops[l] / (a[l] * 1e9) for l, c in counts)
tr = sum(int(c) * flops[l] / (r[l] * 1e9) for l, c in counts)
q = tr / ta
print("  ResNet-50 forward pass (%s, batch 1, 53 convs): aibench %.2f ms, reference %.2f ms, "
      "ratio %.3f (target >= 0.90) %s" % (sys.argv[3], ta * 1e3, tr * 1e3, q,
                                          "ok" if q >= 0.9 else "BELOW TARGET"))
sys.exit(0 if q >= 0.9 else 1)
' "$tmp/a.txt" "$tmp/r.txt" $layout || status=1
done
exit $status
