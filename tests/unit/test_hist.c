/* The log-linear histogram: bucket layout, the relative-error bound of
 * percentiles against exact order statistics, merging, edge values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../bench/hist.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The exact nearest-rank percentile of sorted values. */
static uint64_t exact_pct(const uint64_t *sorted, size_t n, double p)
{
    if (p <= 0)
        return sorted[0];
    double r = ceil(p / 100.0 * (double)n);
    size_t rank = r < 1 ? 1 : (size_t)r;
    return sorted[rank - 1];
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static void test_layout(void **st)
{
    (void)st;
    /* Every value lies inside its own bucket; buckets tile the line with no
     * gap or overlap; widths stay within 1/SUB of the lower bound. */
    uint64_t prev_hi = 0;
    for (unsigned i = 0; i < AIB_HIST_BUCKETS; i++) {
        uint64_t lo, hi;
        aib_hist_bounds(i, &lo, &hi);
        if (i > 0)
            assert_int_equal(lo, prev_hi + 1);
        assert_true(hi >= lo);
        assert_int_equal(aib_hist_index(lo), i);
        assert_int_equal(aib_hist_index(hi), i);
        if (lo >= AIB_HIST_SUB)
            assert_true((double)(hi - lo + 1) <= (double)lo / AIB_HIST_SUB);
        prev_hi = hi;
    }
    assert_int_equal(prev_hi, UINT64_MAX);
    assert_int_equal(aib_hist_index(0), 0);
    assert_int_equal(aib_hist_index(127), 127);
    assert_int_equal(aib_hist_index(UINT64_MAX), AIB_HIST_BUCKETS - 1);
    uint64_t lo, hi;
    aib_hist_bounds(aib_hist_index(10000), &lo, &hi);
    assert_int_equal(lo, 9984);
    assert_int_equal(hi, 10047);
}

/* Log-uniform values from 100 ns to 100 ms: every percentile is within the
 * documented bound of the exact one. */
static void test_percentiles_bounded(void **st)
{
    (void)st;
    enum { N = 200000 };
    uint64_t *v = malloc(N * sizeof *v);
    struct aib_hist *h = malloc(sizeof *h);
    assert_non_null(v);
    assert_non_null(h);
    aib_hist_reset(h);
    uint64_t s = 42;
    for (size_t i = 0; i < N; i++) {
        double u = (double)(next_rand(&s) >> 11) / 9007199254740992.0;
        v[i] = (uint64_t)(100.0 * pow(1e6, u));
        aib_hist_add(h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_u64);
    const double ps[] = {0, 1, 10, 50, 90, 99, 99.9, 99.99, 100};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        uint64_t want = exact_pct(v, N, ps[k]);
        uint64_t got = aib_hist_percentile(h, ps[k]);
        double rel = fabs((double)got - (double)want) / (double)want;
        if (rel > AIB_HIST_REL_ERR)
            fail_msg("p%g: got %llu, exact %llu (rel %.5f > %.5f)", ps[k],
                     (unsigned long long)got, (unsigned long long)want, rel, AIB_HIST_REL_ERR);
    }
    assert_int_equal(aib_hist_percentile(h, 100), v[N - 1]);
    assert_int_equal(aib_hist_percentile(h, 0), v[0]);
    assert_int_equal(h->count, N);
    double mean = 0;
    for (size_t i = 0; i < N; i++)
        mean += (double)v[i];
    assert_true(fabs(aib_hist_mean(h) - mean / N) <= 1e-9 * mean / N);
    free(v);
    free(h);
}

/* Small exact values and a bimodal distribution: the 50th percentile lands
 * in the right mode, the 99th in the tail. */
static void test_exact_and_bimodal(void **st)
{
    (void)st;
    struct aib_hist *h = malloc(sizeof *h);
    assert_non_null(h);
    aib_hist_reset(h);
    assert_int_equal(aib_hist_percentile(h, 50), 0); /* empty */
    assert_true(aib_hist_mean(h) == 0);
    for (uint64_t x = 1; x <= 100; x++)
        aib_hist_add(h, x);
    assert_int_equal(aib_hist_percentile(h, 50), 50);
    assert_int_equal(aib_hist_percentile(h, 99), 99);
    assert_int_equal(aib_hist_percentile(h, 99.5), 100);
    aib_hist_reset(h);
    for (int i = 0; i < 980; i++)
        aib_hist_add(h, 20000); /* 20 us */
    for (int i = 0; i < 20; i++)
        aib_hist_add(h, 5000000); /* 5 ms */
    uint64_t p50 = aib_hist_percentile(h, 50), p98 = aib_hist_percentile(h, 98),
             p99 = aib_hist_percentile(h, 99);
    assert_true(fabs((double)p50 - 20000) <= 20000 * AIB_HIST_REL_ERR);
    assert_true(p98 == p50);
    assert_true(fabs((double)p99 - 5e6) <= 5e6 * AIB_HIST_REL_ERR); /* in the tail */
    free(h);
}

static void test_merge(void **st)
{
    (void)st;
    struct aib_hist *a = malloc(sizeof *a), *b = malloc(sizeof *b), *all = malloc(sizeof *all);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(all);
    aib_hist_reset(a);
    aib_hist_reset(b);
    aib_hist_reset(all);
    uint64_t s = 7;
    for (int i = 0; i < 5000; i++) {
        uint64_t x = next_rand(&s) % 1000000 + 1;
        aib_hist_add(i % 3 ? a : b, x);
        aib_hist_add(all, x);
    }
    struct aib_hist *empty = malloc(sizeof *empty);
    assert_non_null(empty);
    aib_hist_reset(empty);
    aib_hist_merge(a, empty); /* merging nothing changes nothing */
    aib_hist_merge(a, b);
    assert_memory_equal(a->b, all->b, sizeof a->b);
    assert_int_equal(a->count, all->count);
    assert_int_equal(a->min, all->min);
    assert_int_equal(a->max, all->max);
    assert_int_equal(aib_hist_percentile(a, 99), aib_hist_percentile(all, 99));
    aib_hist_add(empty, UINT64_MAX); /* the largest value has a bucket */
    assert_int_equal(aib_hist_percentile(empty, 50), UINT64_MAX);
    free(a);
    free(b);
    free(all);
    free(empty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_percentiles_bounded),
        cmocka_unit_test(test_exact_and_bimodal),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
