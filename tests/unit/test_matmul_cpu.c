/* The CPU matmul workload: both implementations, every SIMD path this CPU
 * has, every precision, transposes and odd sizes give verified answers;
 * wrong answers are caught; bad input is refused before anything runs.
 * The workload file is included to reach its state and static hooks. */
#include <dlfcn.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../workloads/matmul/matmul_cpu.c"

static struct aib_device cpu_dev(void)
{
    struct aib_device d = {.kind = AIB_DEV_CPU, .index = -1, .cores = 2, .threads = 2,
                           .mem_bytes = (uint64_t)8 << 30};
    strcpy(d.id, "cpu");
    return d;
}

static struct matmul_params params(int64_t m, int64_t n, int64_t k, int prec, int impl)
{
    struct matmul_params p = {.n = n, .m = m, .k = k, .precision = prec, .threads = 2,
                              .impl = impl, .simd = AIB_SIMD_AUTO};
    strcpy(p.shape, "none");
    return p;
}

/* Sets one C element wrong by more than the tolerance, then to NaN: both fail. */
static void expect_catches(void *st, size_t idx)
{
    struct matmul_state *s = st;
    struct aib_err err = {0};
    char where[32];
    snprintf(where, sizeof where, "C[%zu,%zu]", idx / s->n, idx % s->n);
    if (s->precision == PREC_FP64)
        ((double *)s->c)[idx] += 1e-3;
    else
        ((float *)s->c)[idx] += 1e-2f;
    assert_int_equal(matmul_verify(st, &err), AIB_EVERIFY);
    assert_non_null(strstr(err.msg, where));
    if (s->precision == PREC_FP64)
        ((double *)s->c)[idx] = NAN;
    else
        ((float *)s->c)[idx] = NAN;
    assert_int_equal(matmul_verify(st, &err), AIB_EVERIFY);
}

static void test_blas_right_and_wrong(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    for (int prec = PREC_FP32; prec <= PREC_FP64; prec++) {
        for (int ta = 0; ta < 2; ta++) {
            /* odd sizes; transposed A */
            struct matmul_params p = params(3, 37, 300, prec, IMPL_BLAS);
            p.transa = ta;
            p.transb = !ta;
            void *st;
            assert_int_equal(matmul_validate(&dev, &p, &err), 0);
            assert_int_equal(matmul_setup(&dev, &p, &st, &err), 0);
            assert_int_equal(matmul_run(st, 2, &err), 0);
            assert_int_equal(matmul_verify(st, &err), 0);
            expect_catches(st, 40);
            matmul_teardown(st);
        }
    }
    /* Large C: the sampled check still catches a wrong block. */
    struct matmul_params p = params(300, 300, 64, PREC_FP32, IMPL_BLAS);
    void *st;
    assert_int_equal(matmul_setup(&dev, &p, &st, &err), 0);
    assert_int_equal(matmul_run(st, 1, &err), 0);
    assert_int_equal(matmul_verify(st, &err), 0);
    struct matmul_state *s = st;
    memset(s->c, 0, 150 * 300 * sizeof(float)); /* half of C wrong */
    assert_int_equal(matmul_verify(st, &err), AIB_EVERIFY);
    matmul_teardown(st);
    struct aib_work w;
    matmul_work(&p, &w);
    assert_true(w.flops == 2.0 * 300 * 300 * 64);
}

/* A state with inputs and no implementation, as setup fills it, so many
 * products can share one thread team. */
static struct matmul_state *bare_state(const struct matmul_params *p)
{
    struct matmul_state *s = calloc(1, sizeof *s);
    assert_non_null(s);
    struct aib_err err = {0};
    assert_int_equal(dims(p, &s->m, &s->n, &s->k, &err), 0);
    s->precision = p->precision;
    s->esize = p->precision == PREC_FP64 ? 8 : p->precision == PREC_BF16 ? 2 : 4;
    s->a = malloc(s->m * s->k * s->esize);
    s->b = malloc(s->k * s->n * s->esize);
    s->c = calloc(s->m * s->n, p->precision == PREC_FP64 ? 8 : 4);
    assert_true(s->a && s->b && s->c);
    uint64_t seed = 42;
    fill(s->a, s->m * s->k, s->precision, &seed);
    fill(s->b, s->k * s->n, s->precision, &seed);
    s->d = (struct aib_gemm_desc){.prec = (enum aib_gemm_prec)p->precision, .transa = p->transa,
                                  .transb = p->transb, .m = s->m, .n = s->n, .k = s->k,
                                  .a = s->a, .b = s->b, .c = s->c,
                                  .lda = p->transa ? s->m : s->k, .ldb = p->transb ? s->k : s->n,
                                  .ldc = s->n};
    return s;
}

/* Every path this CPU can run x precision x transposes x thread counts, on
 * sizes that cross the micro-tile, k-panel, B-block and A-panel edges. */
static void test_native_every_path(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_cpu_features f;
    struct aib_err err = {0};
    aib_cpu_features_detect(&f);
    /* m, n, k: the last two have two B panels (nc is 4096), in both splits */
    static const int64_t sizes[][3] = {{1, 1, 1},     {13, 37, 5},     {100, 3, 1000},
                                       {7, 357, 801}, {61, 700, 390},  {4100, 9, 3},
                                       {3, 4100, 20}, {50, 4200, 10}};
    struct aib_cpu_team *teams[3];
    for (unsigned t = 0; t < 3; t++) /* 1..3 threads: more than cores too */
        assert_int_equal(aib_cpu_team_create(&dev, t + 1, 1, &teams[t], &err), 0);
    int ran = 0;
    for (int simd = AIB_SIMD_PORTABLE; simd <= AIB_SIMD_AVX512; simd++) {
        for (int prec = PREC_FP32; prec <= PREC_BF16; prec++) {
            struct matmul_params p = params(8, 8, 8, prec, IMPL_NATIVE);
            p.simd = simd;
            enum aib_simd got;
            int ok = matmul_check_cpu(&p, &f, &got, &err) == 0;
            int can = simd == AIB_SIMD_PORTABLE ||
                      (simd == AIB_SIMD_AVX2 && f.avx2_fma) || (simd == AIB_SIMD_AVX512 && f.avx512f);
            can = can && (prec != PREC_BF16 || (simd == AIB_SIMD_AVX512 && f.avx512bf16));
            assert_int_equal(ok, can); /* refused exactly when this CPU cannot */
            if (!ok)
                continue;
            assert_int_equal(got, simd);
            for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
                for (int t = 0; t < 4; t++) {
                    p = params(sizes[z][0], sizes[z][1], sizes[z][2], prec, IMPL_NATIVE);
                    p.transa = t & 1;
                    p.transb = t >> 1;
                    unsigned nt = (unsigned)(z + (size_t)t) % 3;
                    struct matmul_state *s = bare_state(&p);
                    /* small caches: many k slices, A blocks and B panels */
                    assert_int_equal(aib_gemm_native_create(&s->d, aib_gemm_kernel_find(got, s->d.prec),
                                                            teams[nt], 4096, 16384, &s->native, &err),
                                     0);
                    aib_gemm_native_run(s->native, 2);
                    if (matmul_verify(s, &err) != 0)
                        fail_msg("simd=%s prec=%d %lldx%lldx%lld t=%d threads=%u: %s",
                                 aib_simd_name(got), prec, (long long)p.m, (long long)p.n,
                                 (long long)p.k, t, nt + 1, err.msg);
                    matmul_teardown(s);
                    ran++;
                }
            }
        }
    }
    for (unsigned t = 0; t < 3; t++)
        aib_cpu_team_destroy(teams[t]);
    assert_true(ran >= 2 * 8 * 4); /* at least portable fp32 and fp64 */
}

/* Through the workload's own setup: the path and threads asked for. */
static void test_native_setup(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    struct matmul_params p = params(50, 60, 70, PREC_FP32, IMPL_NATIVE);
    p.simd = AIB_SIMD_PORTABLE;
    p.threads = 3;
    void *st;
    assert_int_equal(matmul_setup(&dev, &p, &st, &err), 0);
    struct matmul_state *s = st;
    assert_int_equal(s->simd, AIB_SIMD_PORTABLE);
    assert_int_equal(s->threads, 3);
    assert_int_equal(matmul_run(st, 3, &err), 0);
    assert_int_equal(matmul_verify(st, &err), 0);
    matmul_teardown(st);
}

static void test_native_catches_wrong(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    struct matmul_params p = params(29, 33, 70, PREC_FP64, IMPL_NATIVE);
    void *st;
    assert_int_equal(matmul_setup(&dev, &p, &st, &err), 0);
    assert_int_equal(matmul_run(st, 1, &err), 0);
    assert_int_equal(matmul_verify(st, &err), 0);
    expect_catches(st, 33 * 28 + 32); /* the last element: an edge tile */
    matmul_teardown(st);
}

/* The same product through both implementations agrees element by element. */
static void test_native_matches_blas(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    struct matmul_params pb = params(250, 300, 520, PREC_FP32, IMPL_BLAS);
    struct matmul_params pn = pb;
    pn.impl = IMPL_NATIVE;
    void *sb, *sn;
    assert_int_equal(matmul_setup(&dev, &pb, &sb, &err), 0);
    assert_int_equal(matmul_setup(&dev, &pn, &sn, &err), 0);
    assert_int_equal(matmul_run(sb, 1, &err), 0);
    assert_int_equal(matmul_run(sn, 1, &err), 0);
    const float *cb = ((struct matmul_state *)sb)->c, *cn = ((struct matmul_state *)sn)->c;
    for (size_t i = 0; i < 250 * 300; i++)
        assert_true(fabsf(cb[i] - cn[i]) <= 1e-4f * (1.0f + fabsf(cb[i])));
    matmul_teardown(sb);
    matmul_teardown(sn);
}

static void test_bf16_inputs_are_bf16(void **state)
{
    (void)state;
    /* round to nearest even, and exact back in double */
    assert_int_equal(to_bf16(1.0f), 0x3F80);
    assert_int_equal(to_bf16(-2.0f), 0xC000);
    assert_int_equal(to_bf16(1.00390625f), 0x3F80); /* halfway: to even */
    assert_int_equal(to_bf16(1.01171875f), 0x3F82); /* halfway: to even (up) */
    assert_true(from_bf16(0x3FC0) == 1.5);
}

static void test_cpu_without_features(void **state)
{
    (void)state;
    struct aib_cpu_features none = {0}, no_bf16 = {.avx2_fma = 1, .avx512f = 1};
    struct aib_err err = {0};
    enum aib_simd got;
    struct matmul_params p = params(64, 64, 64, PREC_BF16, IMPL_NATIVE);
    assert_int_equal(matmul_check_cpu(&p, &no_bf16, &got, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "precision=bf16: this CPU has no AVX512_BF16"));
    p.impl = IMPL_BLAS;
    assert_int_equal(matmul_check_cpu(&p, &none, &got, &err), AIB_EUSAGE);
    p = params(64, 64, 64, PREC_FP32, IMPL_NATIVE);
    p.simd = AIB_SIMD_AVX512;
    assert_int_equal(matmul_check_cpu(&p, &none, &got, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "simd=avx512"));
    p.simd = AIB_SIMD_AVX2;
    assert_int_equal(matmul_check_cpu(&p, &none, &got, &err), AIB_EUSAGE);
    p.simd = AIB_SIMD_AUTO; /* auto on a bare CPU: the portable kernel */
    assert_int_equal(matmul_check_cpu(&p, &none, &got, &err), 0);
    assert_int_equal(got, AIB_SIMD_PORTABLE);
    p.impl = IMPL_BLAS; /* simd is the native kernel's: ignored for blas */
    p.simd = AIB_SIMD_AVX512;
    assert_int_equal(matmul_check_cpu(&p, &none, &got, &err), 0);
}

/* bf16 through OpenBLAS: refused exactly when the library lacks sbgemm. */
static void test_blas_bf16(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_cpu_features f;
    struct aib_err err = {0};
    aib_cpu_features_detect(&f);
    struct matmul_params p = params(40, 50, 60, PREC_BF16, IMPL_BLAS);
    int rc = matmul_validate(&dev, &p, &err);
    if (!f.avx512bf16) {
        assert_int_equal(rc, AIB_EUSAGE);
    } else if (!dlsym(RTLD_DEFAULT, "cblas_sbgemm")) {
        assert_int_equal(rc, AIB_EUSAGE);
        assert_non_null(strstr(err.msg, "cblas_sbgemm"));
    } else {
        void *st;
        assert_int_equal(rc, 0);
        assert_int_equal(matmul_setup(&dev, &p, &st, &err), 0);
        assert_int_equal(matmul_run(st, 1, &err), 0);
        assert_int_equal(matmul_verify(st, &err), 0);
        matmul_teardown(st);
    }
}

static void test_bad_sizes(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    dev.mem_bytes = (uint64_t)1 << 30;
    struct matmul_params p = params(0, 16384, 0, PREC_FP64, IMPL_BLAS); /* 6 GiB */
    assert_int_equal(matmul_validate(&dev, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "more than 80% of the 1.0 GiB"));
    p = params(16000, 16000, 8, PREC_FP32, IMPL_NATIVE); /* C alone is 1 GiB */
    assert_int_equal(matmul_validate(&dev, &p, &err), AIB_EUSAGE);
    p = params(0, 512, 0, PREC_FP32, IMPL_NATIVE);
    assert_int_equal(matmul_validate(&dev, &p, &err), 0);
}

static void test_shapes(void **state)
{
    (void)state;
    size_t n;
    const struct aib_gemm_shape *all = aib_gemm_shapes(&n);
    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) {
        assert_true(all[i].m > 0 && all[i].n > 0 && all[i].k > 0);
        assert_non_null(all[i].source);
        assert_ptr_equal(aib_gemm_shape_find(all[i].name), &all[i]);
        for (size_t j = 0; j < i; j++)
            assert_true(strcmp(all[i].name, all[j].name) != 0);
    }
    assert_null(aib_gemm_shape_find("nope"));
    const struct aib_gemm_shape *up = aib_gemm_shape_find("llama7b-mlp-up-t2048");
    assert_non_null(up);
    assert_true(up->m == 2048 && up->n == 11008 && up->k == 4096);

    /* a shape sets m, n, k */
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    struct matmul_params p = params(0, 512, 0, PREC_FP32, IMPL_BLAS);
    strcpy(p.shape, "bert-large-ffn-up-t512");
    assert_int_equal(matmul_validate(&dev, &p, &err), 0);
    struct aib_work w;
    matmul_work(&p, &w);
    assert_true(w.flops == 2.0 * 512 * 4096 * 1024);

    /* unknown names and shape=list list every shape, in one message that
     * still fits after the plan's "matmul on cpu: " prefix */
    strcpy(p.shape, "list");
    assert_int_equal(matmul_validate(&dev, &p, &err), AIB_EUSAGE);
    aib_err_prefix(&err, "matmul on cpu");
    assert_non_null(strstr(err.msg, "no shape 'list'; built-in shapes: llama7b-{qkv-t2048,"));
    assert_non_null(strstr(err.msg, "35x8457x2560}"));
    for (size_t i = 0; i < n; i++) { /* every name's tail appears */
        const char *tail = strrchr(all[i].name, '-');
        assert_non_null(strstr(err.msg, tail + 1));
    }
    strcpy(p.shape, "llama-99b");
    assert_int_equal(matmul_validate(&dev, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown shape 'llama-99b'"));
}

static void test_metrics(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    for (int impl = IMPL_BLAS; impl <= IMPL_NATIVE; impl++) {
        struct matmul_params p = params(10, 20, 30, PREC_FP32, impl);
        p.threads = 1;
        void *st;
        struct aib_result r = {0};
        assert_int_equal(matmul_setup(&dev, &p, &st, &err), 0);
        assert_int_equal(matmul_metrics(st, &r, &err), 0);
        const struct aib_metric *t = aib_result_metric(&r, "threads");
        assert_non_null(t);
        assert_true(t->valid && t->value == 1);
        const struct aib_metric *b = aib_result_metric(&r, "simd_bits");
        assert_non_null(b);
        if (impl == IMPL_NATIVE)
            assert_true(b->valid && b->value >= 128 && strstr(b->note, "threads pinned"));
        else
            assert_true(!b->valid && strstr(b->note, "OpenBLAS"));
        assert_true(aib_result_metric(&r, "k")->value == 30);
        aib_result_free(&r);
        matmul_teardown(st);
    }
}

/* The thread team: every member runs, barriers hold, pinning is counted. */
struct team_probe {
    struct aib_cpu_team *t;
    int slots[8];
    int sums[8];
};
static void probe_job(void *ctx, unsigned tid, unsigned nt)
{
    struct team_probe *pr = ctx;
    for (int round = 0; round < 100; round++) {
        pr->slots[tid] = round;
        aib_cpu_team_barrier(pr->t, tid);
        int sum = 0; /* everyone wrote this round before anyone reads */
        for (unsigned i = 0; i < nt; i++)
            sum += pr->slots[i] == round;
        pr->sums[tid] += sum;
        aib_cpu_team_barrier(pr->t, tid);
    }
}
static void test_team(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    for (unsigned n = 1; n <= 5; n += 2) {
        struct team_probe pr = {0};
        assert_int_equal(aib_cpu_team_create(&dev, n, 1, &pr.t, &err), 0);
        assert_int_equal(aib_cpu_team_size(pr.t), n);
        assert_true(aib_cpu_team_pinned(pr.t) <= n);
        for (int rep = 0; rep < 3; rep++)
            aib_cpu_team_run(pr.t, probe_job, &pr);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(pr.sums[i], 3 * 100 * (int)n);
        aib_cpu_team_destroy(pr.t);
    }
    assert_int_equal(aib_cpu_team_create(&dev, 0, 1, &(struct aib_cpu_team *){NULL}, &err),
                     AIB_EUSAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blas_right_and_wrong),  cmocka_unit_test(test_native_every_path),
        cmocka_unit_test(test_native_setup),
        cmocka_unit_test(test_native_catches_wrong),  cmocka_unit_test(test_native_matches_blas),
        cmocka_unit_test(test_bf16_inputs_are_bf16),  cmocka_unit_test(test_cpu_without_features),
        cmocka_unit_test(test_blas_bf16),             cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_shapes),                cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_team),
    };
    return cmocka_run_group_tests_name("matmul_cpu", tests, NULL, NULL);
}
