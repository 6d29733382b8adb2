# CPU conv impl=im2col against the layer's GEMM done directly
# (tests/perf/conv_ref.c: one cblas_sgemm per image and group on a column
# buffer filled once; aibench copies and multiplies L2-sized tiles instead), over ResNet-50's distinct layers, in the same
# invocation, alternating, ROUNDS times. Prints each layer's medians and
# median ratio, and the ratio for one whole ResNet-50 forward pass (batch 1:
# each layer weighted by how often it occurs, 53 convolutions), the median
# over the rounds. Target: forward-pass ratio aibench / reference >= 0.9 in
# each layout.
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
    "$root/workloads/conv/layers.c" "$root/workloads/matmul/shapes.c" "$root/bench/err.c" \
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
        run_aib() { # "ROUND LAYER GFLOP/s FLOPS" per layer
            "$A" --db "$tmp/perf.db" run conv -p layer="$LIST" -p layout=$layout -p impl=im2col \
                -p threads=$THREADS --warmup 0.1 --min-time 0.3 --max-time 2 --min-reps 5 --json -q \
                2>"$tmp/err" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["results"]:
    layer = r["params"].split(",")[0].split("=")[1]
    ok = r["status"] == "ok"
    print(sys.argv[1], layer, "%.3f" % r["throughput"] if ok else "FAILED", r["flops"])' $i >>"$tmp/a.txt" \
                || { echo "aibench failed:"; cat "$tmp/err"; exit 1; }
        }
        run_ref() { "$REF" $layout $THREADS 0.3 5 $LAYERS | sed "s/^/$i /" >>"$tmp/r.txt" || exit 1; }
        if ((i % 2)); then run_ref; run_aib; else run_aib; run_ref; fi
    done
    grep -q FAILED "$tmp/a.txt" && { echo "aibench: an entry FAILED"; status=1; continue; }
    printf '%s\n' $COUNTS | python3 -c '
import statistics, sys
def load(path):
    d, flops = {}, {}
    for line in open(path):
        f = line.split()
        d[(int(f[0]), f[1])] = float(f[2])
        if len(f) > 3:
            flops[f[1]] = float(f[3])
    return d, flops
(a, flops), (r, _) = load(sys.argv[1]), load(sys.argv[2])
rounds = sorted({k[0] for k in a})
counts = [(l, int(c)) for l, c in (x.strip().split(":") for x in sys.stdin if x.strip())]
print("layout %s: layer, x per pass, aibench GFLOP/s, reference GFLOP/s (medians), median ratio"
      % sys.argv[3])
for l, c in counts:
    am = statistics.median(a[(i, l)] for i in rounds)
    rm = statistics.median(r[(i, l)] for i in rounds)
    q = statistics.median(a[(i, l)] / r[(i, l)] for i in rounds)
    print("  %-26s x%d %8.1f %8.1f  %.3f" % (l, c, am, rm, q))
# one forward pass per round: each layer as often as it occurs, time = flops / throughput
def pass_ms(d, i):
    return sum(c * flops[l] / (d[(i, l)] * 1e9) for l, c in counts) * 1e3
qs = [pass_ms(r, i) / pass_ms(a, i) for i in rounds]
q = statistics.median(qs)
print("  ResNet-50 forward pass (%s, batch 1, 53 convs): aibench %.2f ms, reference %.2f ms "
      "(medians), ratio %.3f (target >= 0.90) %s" % (sys.argv[3],
      statistics.median(pass_ms(a, i) for i in rounds), statistics.median(pass_ms(r, i) for i in rounds),
      q, "ok" if q >= 0.9 else "BELOW TARGET"))
print("    rounds: " + " ".join("%.3f" % x for x in qs))
sys.exit(0 if q >= 0.9 else 1)
' "$tmp/a.txt" "$tmp/r.txt" $layout || status=1
done
exit $status
