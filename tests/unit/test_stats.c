/* Statistics: known answers computed by hand or from the definitions. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../bench/stats.h"

static void test_basic(void **state)
{
    (void)state;
    double x[] = {5, 1, 4, 2, 3};
    struct aib_stats st;
    assert_int_equal(aib_stats_compute(x, 5, &st), 0);
    assert_int_equal(st.n, 5);
    assert_true(st.min == 1 && st.max == 5);
    assert_true(st.median == 3 && st.mean == 3);
    /* sample stddev of 1..5 = sqrt(2.5) */
    assert_true(fabs(st.stddev - sqrt(2.5)) < 1e-12);
    assert_true(fabs(st.cv - sqrt(2.5) / 3) < 1e-12);
    /* p95 by linear interpolation: position 0.95*4 = 3.8 -> 4.8 */
    assert_true(fabs(st.p95 - 4.8) < 1e-12);
    /* n < 6: no 95% interval exists, so the CI is the full range */
    assert_true(st.ci_lo == 1 && st.ci_hi == 5);
    assert_true(isinf(aib_stats_ci_rel(&(struct aib_stats){0})));
}

static void test_even_median_and_mad(void **state)
{
    (void)state;
    double x[] = {1, 2, 3, 4, 100, 2, 3, 2};
    struct aib_stats st;
    assert_int_equal(aib_stats_compute(x, 8, &st), 0);
    /* sorted 1 2 2 2 3 3 4 100 -> median 2.5 */
    assert_true(st.median == 2.5);
    /* |x - 2.5|: 1.5 .5 .5 .5 .5 .5 1.5 97.5 -> MAD 0.5 */
    assert_true(st.mad == 0.5);
    /* limit 3*1.4826*0.5 = 2.22: only 100 is an outlier */
    assert_int_equal(st.outliers, 1);
}

static void test_ci_ranks(void **state)
{
    (void)state;
    size_t lo, hi;
    assert_int_equal(aib_median_ci_ranks(5, &lo, &hi), 0);
    /* n = 10: P(X <= 1) = 11/1024 <= 0.025 < P(X <= 2) = 56/1024, so the
     * interval is [x(2), x(9)] (1-based), ranks 1..8 0-based. */
    assert_int_equal(aib_median_ci_ranks(10, &lo, &hi), 1);
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 8);
    /* n = 100, normal approximation: 50 -+ 9.8 -> [x(40), x(60)] 1-based */
    assert_int_equal(aib_median_ci_ranks(100, &lo, &hi), 1);
    assert_int_equal(lo, 39);
    assert_int_equal(hi, 59);
}

static void test_ci_narrows(void **state)
{
    (void)state;
    /* More samples of the same spread give a narrower interval. */
    double x[1000];
    uint64_t s = 42;
    for (int i = 0; i < 1000; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = 1.0 + (double)(s >> 11) / 9007199254740992.0 * 0.1;
    }
    struct aib_stats a, b;
    assert_int_equal(aib_stats_compute(x, 20, &a), 0);
    assert_int_equal(aib_stats_compute(x, 1000, &b), 0);
    assert_true(aib_stats_ci_rel(&b) < aib_stats_ci_rel(&a));
    assert_true(b.ci_lo <= b.median && b.median <= b.ci_hi);
    assert_true(aib_stats_ci_rel(&b) < 0.01);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_even_median_and_mad),
        cmocka_unit_test(test_ci_ranks),
        cmocka_unit_test(test_ci_narrows),
    };
    return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
