/* The Mann-Whitney U test against known answers.
 *
 * Exact cases: R's documentation example for wilcox.test (Hollander &
 * Wolfe: W = 35, p = 0.2544) and SciPy's for mannwhitneyu (U = 17,
 * p = 0.1111); both p-values also follow from enumerating all C(N, na)
 * assignments of the pooled values. Normal cases: the textbook formula
 * (R's wilcox.test with exact = FALSE, correct = TRUE gives the same),
 * worked out by hand in the comments. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../results/ci.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void near(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.12g, want %.12g (relative tolerance %g)", got, want, rel);
}

static void test_exact_r_example(void **state)
{
    (void)state;
    const double x[] = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
    const double y[] = {1.15, 0.88, 0.90, 0.74, 1.21};
    struct aib_mwu m;
    assert_int_equal(aib_mwu_test(x, N(x), y, N(y), &m), 0);
    assert_true(m.exact);
    near(m.u, 35, 1e-12);
    near(m.p, 0.2544122544122544, 1e-9); /* 2 * 382 / 3003 */
    /* Swapping the samples gives U' = na nb - U and the same p. */
    struct aib_mwu s;
    assert_int_equal(aib_mwu_test(y, N(y), x, N(x), &s), 0);
    near(s.u, 50 - 35, 1e-12);
    near(s.p, m.p, 1e-12);
}

static void test_exact_scipy_example(void **state)
{
    (void)state;
    const double males[] = {19, 22, 16, 29, 24}, females[] = {20, 11, 17, 12};
    struct aib_mwu m;
    assert_int_equal(aib_mwu_test(males, N(males), females, N(females), &m), 0);
    assert_true(m.exact);
    near(m.u, 17, 1e-12);
    near(m.p, 1.0 / 9, 1e-9); /* 2 * 7 / 126 */
}

static void test_exact_separation_and_p_min(void **state)
{
    (void)state;
    const double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10};
    struct aib_mwu m;
    assert_int_equal(aib_mwu_test(a, 5, b, 5, &m), 0);
    near(m.u, 0, 1);
    near(m.p, 2.0 / 252, 1e-12); /* one arrangement in C(10, 5) at each end */
    near(m.p_min, 2.0 / 252, 1e-12);
    /* Three against three can never reach 0.05: 2 / C(6, 3) = 0.1. */
    assert_int_equal(aib_mwu_test(a, 3, b, 3, &m), 0);
    near(m.p, 0.1, 1e-12);
    near(m.p_min, 0.1, 1e-12);
    /* One value each: U = 0 or 1 are the only outcomes, p = 1. */
    assert_int_equal(aib_mwu_test(a, 1, b, 1, &m), 0);
    near(m.p, 1, 1e-12);
}

static void test_normal_large(void **state)
{
    (void)state;
    /* 30 against 30 (N = 60 > 50: normal), completely separated:
     * U = 0, mean 450, variance 900 * 61 / 12 = 4575,
     * z = (450 - 0.5) / sqrt(4575) = 6.64560, p = erfc(z / sqrt 2). */
    double a[30], b[30];
    for (int i = 0; i < 30; i++) {
        a[i] = 1 + i;
        b[i] = 31 + i;
    }
    struct aib_mwu m;
    assert_int_equal(aib_mwu_test(a, 30, b, 30, &m), 0);
    assert_false(m.exact);
    near(m.u, 0, 1);
    near(m.z, 6.64559922588161, 1e-9);
    near(m.p, 3.019859359162151e-11, 1e-6);
    near(m.p_min, m.p, 1e-9); /* the most extreme ranking is this one */
}

static void test_normal_with_ties(void **state)
{
    (void)state;
    /* a = 1 2 2 3 3 3, b = 3 4 4 5. Pooled ranks: 1 -> 1, 2 -> 2.5,
     * 3 -> 5.5 (four 3s at ranks 4..7), 4 -> 8.5, 5 -> 10.
     * R_a = 1 + 2 * 2.5 + 3 * 5.5 = 22.5, U = 22.5 - 21 = 1.5.
     * Ties: groups of 2, 4, 2: sum(t^3 - t) = 6 + 60 + 6 = 72.
     * var = 24 / 12 * (11 - 72 / 90) = 20.4, z = (12 - 1.5 - 0.5) / sqrt(20.4)
     * = 2.21404, p = 0.0268262. */
    const double a[] = {1, 2, 2, 3, 3, 3}, b[] = {3, 4, 4, 5};
    struct aib_mwu m;
    assert_int_equal(aib_mwu_test(a, N(a), b, N(b), &m), 0);
    assert_false(m.exact);
    near(m.u, 1.5, 1e-12);
    near(m.z, 2.214037213850238, 1e-9);
    near(m.p, 0.026826219079541535, 1e-7);
    /* Order does not matter, and the test is symmetric. */
    const double a2[] = {3, 2, 3, 1, 3, 2}, b2[] = {5, 4, 3, 4};
    struct aib_mwu s;
    assert_int_equal(aib_mwu_test(b2, N(b2), a2, N(a2), &s), 0);
    near(s.u, 24 - 1.5, 1e-12);
    near(s.p, m.p, 1e-12);
}

static void test_all_equal(void **state)
{
    (void)state;
    const double a[] = {2, 2, 2, 2, 2, 2, 2}, b[] = {2, 2, 2, 2, 2};
    struct aib_mwu m;
    assert_int_equal(aib_mwu_test(a, N(a), b, N(b), &m), 0);
    near(m.u, 17.5, 1e-12); /* every pair a tie: 35 / 2 */
    near(m.p, 1, 1e-12);
}

static void test_interleaved_is_not_significant(void **state)
{
    (void)state;
    /* Two samples from one alternating sequence: no shift. */
    double a[200], b[200];
    for (int i = 0; i < 200; i++) {
        a[i] = 1 + 0.001 * (2 * i);
        b[i] = 1 + 0.001 * (2 * i + 1);
    }
    struct aib_mwu m;
    assert_int_equal(aib_mwu_test(a, 200, b, 200, &m), 0);
    assert_true(m.p > 0.5);
    assert_true(m.p_min < 1e-50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_r_example),
        cmocka_unit_test(test_exact_scipy_example),
        cmocka_unit_test(test_exact_separation_and_p_min),
        cmocka_unit_test(test_normal_large),
        cmocka_unit_test(test_normal_with_ties),
        cmocka_unit_test(test_all_equal),
        cmocka_unit_test(test_interleaved_is_not_significant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
