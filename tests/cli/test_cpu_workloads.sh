# CPU compute workloads (matmul, conv, membw) through the real binary: runs,
# help, metrics, and every bad-input path (one line, exit 2, nothing stored).
. "$(dirname "$0")/lib.sh"
A=$AIBENCH
DB=$WORK/r.db
Q="--warmup 0 --min-time 0.02 --max-time 0.2 --min-reps 3 -q"

# help lists the workloads, their new parameters and the STREAM byte counting
expect_rc 0 $A run --help
for s in "matmul on cpu" "conv on cpu" "membw on cpu" impl transa transb shape simd \
         "shape=list" "layer=list" resnet50 layout dilation groups kernel stores \
         "16 B/element for copy and scale, 24 for add and triad"; do
    contains "$OUT" "$s"
done

# matmul: both implementations, transposes, a model shape, fp64
expect_rc 0 $A --db "$DB" run matmul -p n=96 -p impl=blas,native -p transb=n,t $Q
[ "$(sqlite3 "$DB" "select count(*) from results where workload='matmul' and status='ok'")" = 4 ] \
    || fail "matmul sweep did not store 4 ok results"
expect_rc 0 $A --db "$DB" run matmul -p shape=bert-large-attn-score-s512 -p impl=native -p precision=fp64 $Q
contains "$OUT" "shape=bert-large-attn-score-s512"; contains "$OUT" "GFLOP/s"
# the sizes the shape set, and the path used, are in the metrics
[ "$(sqlite3 "$DB" "select cast(value as int) from result_metrics m join results r on r.id = m.result_id where r.params like '%shape=bert-large-attn-score-s512%' and m.name = 'k'")" = 64 ] \
    || fail "shape's k not in the metrics"
expect_rc 0 $A --db "$DB" results show last
contains "$OUT" "simd_bits"; contains "$OUT" "threads pinned"
# bf16: runs natively where the CPU has AVX512_BF16, else a one-line refusal
if grep -qw avx512_bf16 /proc/cpuinfo; then
    expect_rc 0 $A --db "$DB" run matmul -p n=80 -p impl=native -p precision=bf16 $Q
else
    expect_rc 2 $A --db "$DB" run matmul -p n=80 -p impl=native -p precision=bf16 $Q
    one_line "$ERR"; contains "$ERR" "AVX512_BF16"
fi

# conv: a ResNet-50 layer in both layouts and implementations
expect_rc 0 $A --db "$DB" run conv -p layer=resnet50-res5b-branch2b -p layout=nchw,nhwc -p impl=im2col,direct $Q
[ "$(sqlite3 "$DB" "select count(*) from results where workload='conv' and status='ok'")" = 4 ] \
    || fail "conv sweep did not store 4 ok results"
expect_rc 0 $A --db "$DB" run conv -p c=6 -p k=4 -p h=9 -p w=7 -p groups=2 -p stride=2 -p dilation=2 -p layout=nhwc $Q
contains "$OUT" "GFLOP/s"

# membw: every kernel, a small cache-sized sweep, streaming stores
expect_rc 0 $A --db "$DB" run membw -p size=96k,3m -p kernel=copy,scale,add,triad $Q
[ "$(sqlite3 "$DB" "select count(*) from results where workload='membw' and status='ok' and unit='GB/s'")" = 8 ] \
    || fail "membw sweep did not store 8 GB/s results"
[ "$(sqlite3 "$DB" "select cast(bytes as int) from results where workload='membw' and params like 'kernel=copy,size=98304,%'")" = 98304 ] \
    || fail "copy did not count the STREAM bytes"
if grep -qw avx2 /proc/cpuinfo; then
    expect_rc 0 $A --db "$DB" run membw -p size=3m -p stores=streaming $Q
else
    expect_rc 2 $A --db "$DB" run membw -p size=3m -p stores=streaming $Q
fi

bad() { expect_rc 2 "$@"; one_line "$ERR"; }

# what this CPU or this OpenBLAS cannot do is refused, the rest runs
if grep -qw avx512f /proc/cpuinfo; then
    expect_rc 0 $A --db "$DB" run matmul -p n=64 -p impl=native -p simd=avx512 $Q
else
    bad $A --db "$DB" run matmul -p n=64 -p impl=native -p simd=avx512 $Q
    contains "$ERR" "no AVX-512F"
fi
if ! grep -qw avx512_bf16 /proc/cpuinfo; then
    bad $A --db "$DB" run matmul -p n=64 -p precision=bf16 -p impl=blas $Q
    contains "$ERR" "no AVX512_BF16"
elif ! nm -D "$(ldd "$A" | awk '/libopenblas/ {print $3}')" | grep -qw cblas_sbgemm; then
    bad $A --db "$DB" run matmul -p n=64 -p precision=bf16 -p impl=blas $Q
    contains "$ERR" "no cblas_sbgemm"
else
    expect_rc 0 $A --db "$DB" run matmul -p n=64 -p precision=bf16 -p impl=blas $Q
fi

# bad input: one line, exit 2, nothing stored
before=$(sqlite3 "$DB" "select count(*) from results")
bad $A --db "$DB" run matmul -p n=65536 -p precision=fp64 $Q
contains "$ERR" "GiB of buffers, more than 80%"
bad $A --db "$DB" run matmul -p precision=fp16 $Q
contains "$ERR" "expected one of fp32|fp64|bf16"
bad $A --db "$DB" run matmul -p shape=list $Q
contains "$ERR" "llama7b-{qkv-t2048"; contains "$ERR" "deepbench-{"
bad $A --db "$DB" run matmul -p shape=gpt5 $Q
contains "$ERR" "unknown shape 'gpt5'"
bad $A --db "$DB" run matmul -p impl=fast $Q
bad $A --db "$DB" run conv -p h=2 -p w=2 -p r=5 -p s=5 -p pad=1 $Q
contains "$ERR" "empty output"
bad $A --db "$DB" run conv -p c=6 -p groups=4 $Q
contains "$ERR" "groups=4 must divide"
bad $A --db "$DB" run conv -p n=65536 -p c=65536 -p h=65536 -p w=65536 -p groups=1 $Q
contains "$ERR" "sizes overflow"
bad $A --db "$DB" run conv -p n=4096 -p c=256 -p h=512 -p w=512 $Q
contains "$ERR" "more than 80%"
bad $A --db "$DB" run conv -p layer=list $Q
contains "$ERR" "resnet50-{conv1,"
bad $A --db "$DB" run conv -p layout=chwn $Q
bad $A --db "$DB" run membw -p size=16 $Q
contains "$ERR" "too small"
bad $A --db "$DB" run membw -p size=500g $Q
contains "$ERR" "more than 80%"
bad $A --db "$DB" run membw -p kernel=daxpy $Q
bad $A --db "$DB" run membw -p simd=portable -p stores=streaming -p size=1m $Q
contains "$ERR" "stores=streaming needs"
[ "$(sqlite3 "$DB" "select count(*) from results")" = "$before" ] || fail "bad input stored results"
