/* The CPU membw workload: every STREAM kernel on every SIMD path and store
 * kind this CPU has gives exactly STREAM's answer; a wrong element is
 * caught; bytes are counted the STREAM way; the default size follows the
 * 4x-LLC rule; bad input is refused. The workload file is included to
 * reach its hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../workloads/membw/membw_cpu.c"

static struct aib_device cpu_dev(void)
{
    struct aib_device d = {.kind = AIB_DEV_CPU, .index = -1, .cores = 2, .threads = 2,
                           .mem_bytes = (uint64_t)8 << 30};
    strcpy(d.id, "cpu");
    return d;
}

static struct membw_params params(int kernel, int64_t size, int64_t threads)
{
    return (struct membw_params){.kernel = kernel, .size = size, .threads = threads,
                                 .simd = AIB_SIMD_AUTO};
}

static void test_every_kernel_path_store(void **state)
{
    (void)state;
    static const char *const names[] = {"c[", "b[", "c[", "a["};
    struct aib_device dev = cpu_dev();
    struct aib_cpu_features f;
    aib_cpu_features_detect(&f);
    int ran = 0;
    for (int simd = AIB_SIMD_PORTABLE; simd <= AIB_SIMD_AVX512; simd++) {
        for (int stores = 0; stores < 2; stores++) {
            for (int k = AIB_STREAM_COPY; k <= AIB_STREAM_TRIAD; k++) {
                struct aib_err err = {0};
                /* 1000 elements: shares of 496 and 504 leave scalar tails */
                struct membw_params p = params(k, (int64_t)(8 * 1003 * arrays_of(k)),
                                               1 + (k + simd) % 3);
                p.simd = simd;
                p.stores = stores;
                int can = simd == AIB_SIMD_PORTABLE ? !stores
                          : simd == AIB_SIMD_AVX2   ? f.avx2_fma
                                                    : f.avx512f;
                int rc = membw_validate(&dev, &p, &err);
                assert_int_equal(rc == 0, can);
                if (rc)
                    continue;
                void *st;
                assert_int_equal(membw_setup(&dev, &p, &st, &err), 0);
                struct membw_state *s = st;
                assert_int_equal(s->n, 1000); /* rounded down to 64-byte lines */
                /* before any run the output is still the input: caught */
                assert_int_equal(membw_verify(st, &err), AIB_EVERIFY);
                assert_int_equal(membw_run(st, 3, &err), 0);
                if (membw_verify(st, &err) != 0)
                    fail_msg("kernel %d simd %d stores %d: %s", k, simd, stores, err.msg);
                double *out = k == AIB_STREAM_TRIAD ? s->a : k == AIB_STREAM_SCALE ? s->b : s->c;
                out[997] += 1.0;
                assert_int_equal(membw_verify(st, &err), AIB_EVERIFY);
                assert_non_null(strstr(err.msg, names[k]));
                assert_non_null(strstr(err.msg, "[997]"));
                membw_teardown(st);
                ran++;
            }
        }
    }
    assert_true(ran >= 4);
}

static void test_stream_byte_counting(void **state)
{
    (void)state;
    struct aib_work w;
    /* size is the working set of the arrays the kernel touches */
    membw_work(&(struct membw_params){.kernel = AIB_STREAM_COPY, .size = 1 << 20}, &w);
    assert_true(w.bytes == 1 << 20);           /* 2 arrays x 8 B x 65536 */
    membw_work(&(struct membw_params){.kernel = AIB_STREAM_SCALE, .size = 1 << 20}, &w);
    assert_true(w.bytes == 1 << 20);
    membw_work(&(struct membw_params){.kernel = AIB_STREAM_ADD, .size = 3 << 20}, &w);
    assert_true(w.bytes == 3 << 20);           /* 3 arrays x 8 B x 131072 */
    membw_work(&(struct membw_params){.kernel = AIB_STREAM_TRIAD, .size = 3 << 20}, &w);
    assert_true(w.bytes == 3 << 20 && w.flops == 0);
}

/* size=0: each array 4x the last-level cache (at least 16 MiB), unless
 * that would not fit in memory, which is then said in the metrics. */
static void test_default_size(void **state)
{
    (void)state;
    struct aib_cpu_caches cc;
    struct aib_err err = {0};
    assert_int_equal(aib_cpu_caches(NULL, &cc, &err), 0);
    struct membw_params p = params(AIB_STREAM_TRIAD, 0, 0);
    size_t n;
    int down;
    assert_int_equal(membw_elems(&p, &n, &down, &err), 0);
    uint64_t want = 4 * cc.llc > ((uint64_t)16 << 20) ? 4 * cc.llc : (uint64_t)16 << 20;
    if (down)
        assert_true(n * sizeof(double) < want);
    else
        assert_true(n * sizeof(double) + 64 > want && n * sizeof(double) <= want);
    assert_true(cc.l1d > 0 && cc.l2 >= cc.l1d && cc.llc >= cc.l2);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    struct membw_params p = params(AIB_STREAM_TRIAD, 16, 1);
    assert_int_equal(membw_validate(&dev, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "too small"));
    p = params(AIB_STREAM_TRIAD, 3 * 64, 4); /* 8 elements, 4 threads */
    assert_int_equal(membw_validate(&dev, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "too small for 4 threads"));
    p = params(AIB_STREAM_COPY, (int64_t)7 << 30, 1);
    assert_int_equal(membw_validate(&dev, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "more than 80% of the 8.0 GiB"));
    p = params(AIB_STREAM_ADD, 1 << 20, 1);
    p.simd = AIB_SIMD_PORTABLE;
    p.stores = 1;
    assert_int_equal(membw_validate(&dev, &p, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "stores=streaming needs"));
    struct aib_cpu_features none = {0};
    enum aib_simd got;
    p.simd = AIB_SIMD_AVX512;
    p.stores = 0;
    assert_int_equal(membw_check(&p, &none, &got, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "simd=avx512"));
}

static void test_metrics(void **state)
{
    (void)state;
    struct aib_device dev = cpu_dev();
    struct aib_err err = {0};
    struct membw_params p = params(AIB_STREAM_ADD, 3 << 16, 2);
    void *st;
    struct aib_result r = {0};
    assert_int_equal(membw_setup(&dev, &p, &st, &err), 0);
    assert_int_equal(membw_metrics(st, &r, &err), 0);
    assert_true(aib_result_metric(&r, "threads")->value == 2);
    assert_true(aib_result_metric(&r, "array_bytes")->value == 1 << 16);
    const struct aib_metric *b = aib_result_metric(&r, "simd_bits");
    assert_true(b->valid && strstr(b->note, "normal stores") && strstr(b->note, "of 2 threads pinned"));
    aib_result_free(&r);
    membw_teardown(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kernel_path_store), cmocka_unit_test(test_stream_byte_counting),
        cmocka_unit_test(test_default_size),            cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests_name("membw_cpu", tests, NULL, NULL);
}
