/* The roofline model: attainable performance, the bound verdict and its
 * thresholds, arithmetic intensity (metric, declared bytes, compulsory
 * traffic of matmul and conv shapes), cache sizes, and whole rooflines
 * built from synthetic runs: which result each ceiling comes from, main
 * memory versus cache bandwidth, declared peaks, and every point's verdict;
 * and the `peak` workload that measures the compute ceiling. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../results/roofline.h"
#include "../../workloads/cpu_threads.h"
#include "../../workloads/peak/peak_kernels.h"
#include "../../workloads/workload.h"

static void test_attainable(void **state)
{
    (void)state;
    /* the slope below the ridge (P / B = 10 flop/B), the flat part above */
    assert_float_equal(aib_roof_attainable(100, 10, 1), 10, 1e-12);
    assert_float_equal(aib_roof_attainable(100, 10, 10), 100, 1e-12);
    assert_float_equal(aib_roof_attainable(100, 10, 1000), 100, 1e-12);
    /* one side unknown: the other alone */
    assert_float_equal(aib_roof_attainable(0, 10, 3), 30, 1e-12);
    assert_float_equal(aib_roof_attainable(100, 0, 3), 100, 1e-12);
    assert_float_equal(aib_roof_attainable(100, NAN, 3), 100, 1e-12);
    /* nothing known, or no intensity */
    assert_float_equal(aib_roof_attainable(0, 0, 3), 0, 0);
    assert_float_equal(aib_roof_attainable(100, 10, 0), 0, 0);
    assert_float_equal(aib_roof_attainable(100, 10, NAN), 0, 0);
}

static void test_classify(void **state)
{
    (void)state;
    double roof, f;
    /* compute side (I = 50 > ridge 10): 60 of 100 */
    assert_int_equal(aib_roof_classify(60, 50, 100, 10, &roof, &f), AIB_ROOF_COMPUTE);
    assert_float_equal(roof, 100, 1e-12);
    assert_float_equal(f, 0.6, 1e-12);
    /* memory side (I = 2: roof 20): 15 of 20 */
    assert_int_equal(aib_roof_classify(15, 2, 100, 10, &roof, &f), AIB_ROOF_MEMORY);
    assert_float_equal(roof, 20, 1e-12);
    assert_float_equal(f, 0.75, 1e-12);
    /* the threshold: exactly half is bound, just below is neither */
    assert_int_equal(aib_roof_classify(AIB_ROOF_BOUND_FRACTION * 100, 50, 100, 10, &roof, &f),
                     AIB_ROOF_COMPUTE);
    assert_int_equal(aib_roof_classify(AIB_ROOF_BOUND_FRACTION * 100 * 0.999, 50, 100, 10, &roof,
                                       &f),
                     AIB_ROOF_NEITHER);
    assert_int_equal(aib_roof_classify(2, 2, 100, 10, &roof, &f), AIB_ROOF_NEITHER);
    assert_float_equal(f, 0.1, 1e-12);
    /* at the ridge the compute ceiling is the one that limits */
    assert_int_equal(aib_roof_classify(90, 10, 100, 10, &roof, &f), AIB_ROOF_COMPUTE);
    /* above the main-memory roof (data from cache): still memory-bound */
    assert_int_equal(aib_roof_classify(40, 2, 100, 10, &roof, &f), AIB_ROOF_MEMORY);
    assert_float_equal(f, 2, 1e-12);
    /* no bandwidth known: judged against the peak only */
    assert_int_equal(aib_roof_classify(80, 0.1, 100, 0, &roof, &f), AIB_ROOF_COMPUTE);
    /* no peak known: against the slope only */
    assert_int_equal(aib_roof_classify(25, 3, 0, 10, &roof, &f), AIB_ROOF_MEMORY);
    /* nothing to judge against, or nothing achieved */
    assert_int_equal(aib_roof_classify(25, 3, 0, 0, &roof, &f), AIB_ROOF_UNPLACED);
    assert_int_equal(aib_roof_classify(0, 3, 100, 10, &roof, &f), AIB_ROOF_UNPLACED);
    assert_int_equal(aib_roof_classify(25, 0, 100, 10, &roof, &f), AIB_ROOF_UNPLACED);
    assert_string_equal(aib_roof_bound_name(AIB_ROOF_COMPUTE), "compute-bound");
    assert_string_equal(aib_roof_bound_name(AIB_ROOF_MEMORY), "memory-bound");
    assert_string_equal(aib_roof_bound_name(AIB_ROOF_NEITHER), "neither");
}

static void test_params_and_traffic(void **state)
{
    (void)state;
    char v[64];
    assert_true(aib_roof_param("n=64,m=0,precision=fp64", "precision", v, sizeof v));
    assert_string_equal(v, "fp64");
    assert_true(aib_roof_param("n=64,m=0", "n", v, sizeof v));
    assert_string_equal(v, "64");
    assert_false(aib_roof_param("nn=64,m=0", "n", v, sizeof v)); /* whole keys only */
    assert_false(aib_roof_param("", "n", v, sizeof v));

    /* square fp32: A, B read and C written once, 4 bytes each */
    assert_float_equal(aib_roof_traffic("matmul", "n=64,m=0,k=0,precision=fp32"),
                       4.0 * 3 * 64 * 64, 0);
    /* m x k times k x n in fp64 */
    assert_float_equal(aib_roof_traffic("matmul", "n=30,m=10,k=20,precision=fp64"),
                       8.0 * (10 * 20 + 20 * 30 + 10 * 30), 0);
    /* bf16 on a CPU: 2-byte inputs, fp32 output */
    assert_float_equal(aib_roof_traffic("matmul", "n=8,m=0,k=0,precision=bf16"),
                       2.0 * 2 * 64 + 4.0 * 64, 0);
    /* a named shape overrides n, m, k */
    assert_float_equal(aib_roof_traffic("matmul", "n=8,m=0,k=0,precision=fp32,shape=llama7b-mlp-up-t2048"),
                       4.0 * (2048.0 * 4096 + 4096.0 * 11008 + 2048.0 * 11008), 0);
    assert_float_equal(aib_roof_traffic("matmul", "n=8,shape=no-such-shape"), 0, 0);
    /* conv: input, filters, output (7x7 stride 2 pad 3 on 224x224: 112x112) */
    double conv1 = 4.0 * (3 * 224 * 224 + 64 * 3 * 7 * 7) + 4.0 * 64 * 112 * 112;
    assert_float_equal(aib_roof_traffic("conv", "layer=resnet50-conv1,n=1,c=64,h=56,w=56,k=64,"
                                                "r=3,s=3,stride=1,pad=1,dilation=1,groups=1"),
                       conv1, 0);
    assert_float_equal(aib_roof_traffic("conv", "layer=none,n=2,c=4,h=8,w=8,k=6,r=3,s=3,"
                                                "stride=1,pad=1,dilation=1,groups=2"),
                       4.0 * (2 * 4 * 64 + 6 * 2 * 9) + 4.0 * 2 * 6 * 64, 0);
    /* workloads without a traffic model */
    assert_float_equal(aib_roof_traffic("io", "bs=4096"), 0, 0);
}

static struct aib_result mk(int64_t id, const char *workload, const char *device,
                            const char *params, const char *unit, double tput)
{
    struct aib_result r = {0};
    r.id = id;
    snprintf(r.workload, sizeof r.workload, "%s", workload);
    snprintf(r.device, sizeof r.device, "%s", device);
    snprintf(r.params, sizeof r.params, "%s", params);
    snprintf(r.status, sizeof r.status, AIB_STATUS_OK);
    snprintf(r.unit, sizeof r.unit, "%s", unit);
    r.throughput = tput;
    return r;
}

static void test_intensity(void **state)
{
    (void)state;
    char src[160];
    struct aib_result r = mk(1, "matmul", "cpu", "n=64,m=0,k=0,precision=fp32", "GFLOP/s", 10);
    r.flops = 2.0 * 64 * 64 * 64;
    /* compulsory traffic when nothing else is known */
    assert_float_equal(aib_roof_intensity(&r, src, sizeof src), r.flops / (4.0 * 3 * 64 * 64),
                       1e-12);
    assert_non_null(strstr(src, "compulsory"));
    /* declared bytes beat the estimate */
    r.bytes = 1e5;
    assert_float_equal(aib_roof_intensity(&r, src, sizeof src), r.flops / 1e5, 1e-12);
    assert_non_null(strstr(src, "declared"));
    /* a valid intensity metric (counted bytes) beats both */
    assert_int_equal(aib_result_set_metric(&r, "intensity", 3.5, "flop/B", 1,
                                           "bytes from counters: LLC load misses x 64 B"),
                     0);
    assert_float_equal(aib_roof_intensity(&r, src, sizeof src), 3.5, 1e-12);
    assert_non_null(strstr(src, "counters"));
    /* a missing one does not */
    assert_int_equal(aib_result_set_metric(&r, "intensity", 0, "flop/B", 0, "no bytes"), 0);
    assert_float_equal(aib_roof_intensity(&r, src, sizeof src), r.flops / 1e5, 1e-12);
    aib_result_free(&r);
    /* no model and no bytes: 0, with the reason */
    struct aib_result x = mk(2, "mystery", "cpu", "a=1", "GFLOP/s", 10);
    x.flops = 100;
    assert_float_equal(aib_roof_intensity(&x, src, sizeof src), 0, 0);
    assert_non_null(strstr(src, "no bytes"));
}

static void test_cache_bytes(void **state)
{
    (void)state;
    assert_float_equal(aib_roof_cache_bytes("32 MiB x 1 (shared)"), 32.0 * 1048576, 0);
    assert_float_equal(aib_roof_cache_bytes("1 MiB x 2 (per core)"), 2.0 * 1048576, 0);
    assert_float_equal(aib_roof_cache_bytes("48 KiB"), 48.0 * 1024, 0);
    assert_float_equal(aib_roof_cache_bytes("lots"), 0, 0);
    assert_float_equal(aib_roof_cache_bytes("3 parsecs"), 0, 0);
    assert_float_equal(aib_roof_cache_bytes(NULL), 0, 0);
}

/* Run 1 (the one placed) and run 2 (same host, a faster fp32 matmul). */
struct fx {
    struct aib_result a[8], b[2];
    struct aib_kvlist env;
    struct aib_roofline rl;
};

static void fixture(struct fx *f)
{
    memset(f, 0, sizeof *f);
    const double n3 = 2.0 * 512 * 512 * 512;
    f->a[0] = mk(11, "matmul", "cpu", "n=512,m=0,k=0,precision=fp32", "GFLOP/s", 100);
    f->a[1] = mk(12, "matmul", "cpu", "n=512,m=0,k=0,precision=fp64", "GFLOP/s", 50);
    f->a[2] = mk(13, "membw", "cpu", "kernel=triad,size=1073741824", "GB/s", 20);
    f->a[3] = mk(14, "membw", "cpu", "kernel=triad,size=16777216", "GB/s", 60);
    f->a[4] = mk(15, "membw", "cpu", "kernel=triad,size=32768", "GB/s", 500);
    /* small matmul: intensity 8/3 x 2 = 5.33 flop/B in fp32; roof 106.7 */
    f->a[5] = mk(16, "matmul", "cpu", "n=16,m=0,k=0,precision=fp32", "GFLOP/s", 5);
    /* a conv on a device with no matmul: the declared peak */
    f->a[6] = mk(17, "conv", "opencl:0:0", "layer=resnet50-conv1,n=1", "GFLOP/s", 40);
    f->a[7] = mk(18, "matmul", "cpu", "n=512,m=0,k=0,precision=fp32", "GFLOP/s", 0);
    snprintf(f->a[7].status, sizeof f->a[7].status, AIB_STATUS_FAILED);
    f->a[0].flops = f->a[1].flops = n3;
    f->a[5].flops = 2.0 * 16 * 16 * 16;
    f->a[6].flops = 2.0 * 64 * 3 * 49 * 112 * 112;
    f->a[7].flops = n3;
    f->a[2].bytes = 1073741824, f->a[3].bytes = 16777216, f->a[4].bytes = 32768;
    f->b[0] = mk(21, "matmul", "cpu", "n=1024,m=0,k=0,precision=fp32", "GFLOP/s", 150);
    f->b[0].flops = 2.0 * 1024 * 1024 * 1024;
    f->b[1] = mk(22, "matmul", "cuda:0", "n=1024,precision=fp32", "GFLOP/s", 9999);
    f->b[1].flops = 1;
    aib_kv_set(&f->env, "device.cpu.l3", "32 MiB x 1 (shared)");
    aib_kv_set(&f->env, "device.cpu.peak_fp32_gflops", "268.3");
    aib_kv_set(&f->env, "device.opencl:0:0.peak_fp32_gflops", "80");
    aib_kv_set(&f->env, "device.opencl:0:0.peak_method", "2 CUs x 40");
}

static const struct aib_roof_point *pt(const struct aib_roofline *rl, int64_t id)
{
    for (size_t i = 0; i < rl->npts; i++)
        if (rl->pts[i].result_id == id)
            return &rl->pts[i];
    fail_msg("no point for result %lld", (long long)id);
    return NULL;
}

static void test_build(void **state)
{
    (void)state;
    struct fx f;
    struct aib_err err = {0};
    fixture(&f);
    struct aib_roof_source src[2] = {{f.a, 8, 1, &f.env}, {f.b, 2, 2, NULL}};
    assert_int_equal(aib_roofline_build(src, 2, &f.rl, &err), 0);

    /* fp32 compute: the faster matmul of run 2, named as its source */
    int c32 = aib_roof_find(&f.rl, "cpu", AIB_CEIL_COMPUTE, "fp32");
    assert_true(c32 >= 0);
    assert_float_equal(f.rl.ceil[c32].value, 150, 0);
    assert_int_equal(f.rl.ceil[c32].result_id, 21);
    assert_int_equal(f.rl.ceil[c32].run_id, 2);
    assert_false(f.rl.ceil[c32].declared);
    assert_non_null(strstr(f.rl.ceil[c32].source, "result 21 (run 2)"));
    int c64 = aib_roof_find(&f.rl, "cpu", AIB_CEIL_COMPUTE, "fp64");
    assert_true(c64 >= 0 && f.rl.ceil[c64].result_id == 12);
    /* no ceiling for a device run 1 never used */
    assert_int_equal(aib_roof_find(&f.rl, "cuda:0", AIB_CEIL_COMPUTE, "fp32"), -1);
    /* memory: beyond 2 x 32 MiB of L3 only the 1 GiB result counts ... */
    int m = aib_roof_find(&f.rl, "cpu", AIB_CEIL_MEMORY, "");
    assert_true(m >= 0);
    assert_int_equal(f.rl.ceil[m].result_id, 13);
    assert_float_equal(f.rl.ceil[m].working_set, 1073741824, 0);
    /* ... and the 32 KiB one is the cache roof */
    int c = aib_roof_find(&f.rl, "cpu", AIB_CEIL_CACHE, "");
    assert_true(c >= 0 && f.rl.ceil[c].result_id == 15);
    /* the declared peak where nothing was measured */
    int d = aib_roof_find(&f.rl, "opencl:0:0", AIB_CEIL_COMPUTE, "fp32");
    assert_true(d >= 0 && f.rl.ceil[d].declared);
    assert_float_equal(f.rl.ceil[d].value, 80, 0);
    assert_non_null(strstr(f.rl.ceil[d].source, "2 CUs x 40"));

    /* points: compute results of run 1 that are ok, in order */
    assert_int_equal(f.rl.npts, 4);
    const struct aib_roof_point *p = pt(&f.rl, 11);
    assert_int_equal(p->index, 1);
    assert_int_equal(p->bound, AIB_ROOF_COMPUTE); /* 100 of 150 */
    assert_float_equal(p->fraction, 100.0 / 150, 1e-12);
    assert_float_equal(p->intensity, (2.0 * 512 * 512 * 512) / (4.0 * 3 * 512 * 512), 1e-9);
    p = pt(&f.rl, 12);
    assert_int_equal(p->bound, AIB_ROOF_COMPUTE); /* its own fp64 ceiling */
    assert_float_equal(p->fraction, 1, 1e-12);
    p = pt(&f.rl, 16); /* I = 8192 / 3072 = 2.67: roof 53.3; 5 is 9% */
    assert_int_equal(p->index, 6);
    assert_float_equal(p->roof, 20 * 8192.0 / 3072, 1e-9);
    assert_int_equal(p->bound, AIB_ROOF_NEITHER);
    assert_non_null(strstr(p->why, "latency"));
    p = pt(&f.rl, 17);
    assert_int_equal(p->bound, AIB_ROOF_COMPUTE); /* 40 of the declared 80, no bandwidth */
    assert_non_null(strstr(p->why, "no memory ceiling"));
    aib_roofline_free(&f.rl);
    aib_kv_free(&f.env);
    for (size_t i = 0; i < 8; i++)
        aib_result_free(&f.a[i]);
    for (size_t i = 0; i < 2; i++)
        aib_result_free(&f.b[i]);
}

/* Without a known cache size the largest working set is main memory, and
 * with --run-only (one source) the run's own matmul is the ceiling. */
static void test_build_fallbacks(void **state)
{
    (void)state;
    struct fx f;
    struct aib_err err = {0};
    fixture(&f);
    struct aib_roof_source src[1] = {{f.a, 8, 1, NULL}};
    assert_int_equal(aib_roofline_build(src, 1, &f.rl, &err), 0);
    int c32 = aib_roof_find(&f.rl, "cpu", AIB_CEIL_COMPUTE, "fp32");
    assert_true(c32 >= 0 && f.rl.ceil[c32].result_id == 11);
    int m = aib_roof_find(&f.rl, "cpu", AIB_CEIL_MEMORY, "");
    assert_true(m >= 0 && f.rl.ceil[m].result_id == 13);
    /* no env: no declared peak, so the conv cannot be placed */
    assert_int_equal(aib_roof_find(&f.rl, "opencl:0:0", AIB_CEIL_COMPUTE, "fp32"), -1);
    const struct aib_roof_point *p = pt(&f.rl, 17);
    assert_int_equal(p->bound, AIB_ROOF_UNPLACED);
    assert_non_null(strstr(p->why, "no ceiling"));
    size_t nd;
    const char *ids[4];
    nd = aib_roof_devices(&f.rl, ids, 4);
    assert_int_equal(nd, 2);
    assert_string_equal(ids[0], "cpu");
    assert_string_equal(ids[1], "opencl:0:0");
    aib_roofline_free(&f.rl);
    /* the largest working set when the L3 is unknown: 16 MiB and 1 GiB
     * alike would be main memory only if within 2x of the largest */
    f.a[2].bytes = 20e6; /* now 20 MB vs 16.8 MB: both "largest" */
    assert_int_equal(aib_roofline_build(src, 1, &f.rl, &err), 0);
    m = aib_roof_find(&f.rl, "cpu", AIB_CEIL_MEMORY, "");
    assert_true(m >= 0 && f.rl.ceil[m].result_id == 14); /* the faster of the two */
    aib_roofline_free(&f.rl);
    aib_kv_free(&f.env);
    for (size_t i = 0; i < 8; i++)
        aib_result_free(&f.a[i]);
    for (size_t i = 0; i < 2; i++)
        aib_result_free(&f.b[i]);
}

/* A peak result is the compute ceiling when it is the fastest, and never a
 * point itself. */
static void test_peak_ceiling(void **state)
{
    (void)state;
    struct aib_result r[2] = {mk(1, "matmul", "cpu", "n=512,m=0,k=0,precision=fp32", "GFLOP/s", 100),
                              mk(2, "peak", "cpu", "precision=fp32,threads=0,simd=auto", "GFLOP/s", 180)};
    r[0].flops = 2.0 * 512 * 512 * 512;
    r[1].flops = 1e9;
    struct aib_roof_source src = {r, 2, 7, NULL};
    struct aib_roofline rl;
    struct aib_err err = {0};
    assert_int_equal(aib_roofline_build(&src, 1, &rl, &err), 0);
    int c = aib_roof_find(&rl, "cpu", AIB_CEIL_COMPUTE, "fp32");
    assert_true(c >= 0);
    assert_int_equal(rl.ceil[c].result_id, 2);
    assert_non_null(strstr(rl.ceil[c].source, "peak precision=fp32"));
    assert_int_equal(rl.npts, 1);
    assert_int_equal(rl.pts[0].result_id, 1);
    assert_float_equal(rl.pts[0].fraction, 100.0 / 180, 1e-12);
    assert_int_equal(rl.pts[0].bound, AIB_ROOF_COMPUTE);
    aib_roofline_free(&rl);
}

/* The peak workload's hooks through its table: every path this CPU has
 * verifies after a run and fails before one (outputs still 0), and the
 * work per iteration does not depend on the thread count. */
extern const struct aib_workload_ops aib_peak_cpu;

static void test_peak_workload(void **state)
{
    (void)state;
    struct aib_device dev = {.kind = AIB_DEV_CPU, .index = -1, .cores = 2, .threads = 2};
    struct aib_cpu_features f;
    const struct aib_workload_ops *w = &aib_peak_cpu;
    char buf[256];
    int ran = 0;
    strcpy(dev.id, "cpu");
    aib_cpu_features_detect(&f);
    for (int simd = AIB_SIMD_PORTABLE; simd <= AIB_SIMD_AVX512; simd++) {
        for (int prec = 0; prec < 2; prec++) {
            struct aib_err err = {0};
            char p[4096];
            assert_int_equal(aib_params_defaults(&w->params, p, &err), 0);
            snprintf(buf, sizeof buf, "%s", prec ? "fp64" : "fp32");
            assert_int_equal(aib_params_set(&w->params, p, "precision", buf, &err), 0);
            assert_int_equal(aib_params_set(&w->params, p, "simd", aib_simd_name(simd), &err), 0);
            assert_int_equal(aib_params_set(&w->params, p, "threads", "3", &err), 0);
            int can = simd == AIB_SIMD_PORTABLE ? 1 : simd == AIB_SIMD_AVX2 ? f.avx2_fma : f.avx512f;
            int rc = w->validate(&dev, p, &err);
            assert_int_equal(rc == 0, can);
            if (rc) {
                assert_int_equal(rc, AIB_EUSAGE);
                continue;
            }
            struct aib_work work;
            w->work(p, &work);
            unsigned lanes = simd == AIB_SIMD_PORTABLE ? 1 : (simd == AIB_SIMD_AVX2 ? 32 : 64) / (prec ? 8 : 4);
            assert_float_equal(work.flops, 2.0 * AIB_PEAK_CHAINS * lanes * 1024 * 4096, 0);
            void *st = NULL;
            assert_int_equal(w->setup(&dev, p, &st, &err), 0);
            assert_int_equal(w->verify(st, &err), AIB_EVERIFY); /* nothing computed yet */
            assert_non_null(strstr(err.msg, "wrong answer"));
            assert_int_equal(w->run(st, 1, &err), 0);
            if (w->verify(st, &err) != 0)
                fail_msg("simd %s %s: %s", aib_simd_name(simd), buf, err.msg);
            w->teardown(st);
            ran++;
        }
    }
    assert_true(ran >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attainable),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_params_and_traffic),
        cmocka_unit_test(test_intensity),
        cmocka_unit_test(test_cache_bytes),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_build_fallbacks),
        cmocka_unit_test(test_peak_ceiling),
        cmocka_unit_test(test_peak_workload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
