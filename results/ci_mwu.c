/* The Mann-Whitney U test (Wilcoxon rank-sum), two-sided.
 *
 * Pool both samples, rank them (tied values get the mean of their ranks),
 * and let R_a be the rank sum of the first sample: U = R_a - na(na+1)/2,
 * the number of pairs (a_i, b_j) with a_i > b_j, ties counting 1/2.
 *
 * Exact: without ties, every assignment of ranks to the two samples is
 * equally likely under the null hypothesis; the number of assignments with
 * U = u is the coefficient of q^u in the Gaussian binomial [N choose na]_q
 * = prod_{i=1..na} (1 - q^(nb+i)) / (1 - q^i). Counts stay exact in a
 * double while C(N, na) < 2^53, which holds for N <= 50.
 * p = min(1, 2 min(P(U <= u), P(U >= u))).
 *
 * Normal approximation: mean na nb / 2, variance
 *     na nb / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1)))
 * where t runs over the sizes of the groups of tied values; with the
 * continuity correction z = (|U - mean| - 1/2) / sd and p = erfc(z / sqrt 2).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ci.h"

#define EXACT_MAX_N 50

struct tagged {
    double v;
    int from_a;
};

static int cmp_tagged(const void *x, const void *y)
{
    double a = ((const struct tagged *)x)->v, b = ((const struct tagged *)y)->v;
    return (a > b) - (a < b);
}

/* C(n, k) in double (exact while it is below 2^53). */
static double binom(size_t n, size_t k)
{
    double c = 1;
    if (k > n - k)
        k = n - k;
    for (size_t i = 1; i <= k; i++)
        c = c * (double)(n - k + i) / (double)i;
    return round(c);
}

/* Two-sided exact p-value of U = u for sizes na, nb without ties. */
static int exact_p(size_t na, size_t nb, double u, double *p)
{
    size_t deg = na * nb;
    double *c = calloc(deg + 1, sizeof *c);
    if (!c)
        return AIB_ENOMEM;
    c[0] = 1; /* [nb choose 0]_q = 1 */
    size_t top = 0;
    for (size_t i = 1; i <= na; i++) {
        size_t m = nb + i; /* multiply by (1 - q^m): from the top down */
        top += nb;         /* the degree after this step: i * nb */
        for (size_t k = top; k >= m; k--)
            c[k] -= c[k - m];
        for (size_t k = i; k <= top; k++) /* divide by (1 - q^i): a running sum */
            c[k] += c[k - i];
    }
    double total = binom(na + nb, na), lo = 0, hi = 0;
    for (size_t k = 0; k <= deg; k++) {
        if ((double)k <= u)
            lo += c[k];
        if ((double)k >= u)
            hi += c[k];
    }
    free(c);
    double two = 2 * fmin(lo, hi) / total;
    *p = two > 1 ? 1 : two;
    return 0;
}

int aib_mwu_test(const double *a, size_t na, const double *b, size_t nb, struct aib_mwu *out)
{
    size_t n = na + nb;
    memset(out, 0, sizeof *out);
    out->p = out->p_min = 1;
    if (na == 0 || nb == 0)
        return 0;
    struct tagged *all = malloc(n * sizeof *all);
    if (!all)
        return AIB_ENOMEM;
    for (size_t i = 0; i < na; i++)
        all[i] = (struct tagged){a[i], 1};
    for (size_t j = 0; j < nb; j++)
        all[na + j] = (struct tagged){b[j], 0};
    qsort(all, n, sizeof *all, cmp_tagged);
    double ra = 0, ties = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && all[j + 1].v == all[i].v)
            j++;
        double rank = (double)(i + j + 2) / 2, t = (double)(j - i + 1); /* ranks are 1-based */
        for (size_t k = i; k <= j; k++)
            ra += all[k].from_a ? rank : 0;
        ties += t * t * t - t;
        i = j + 1;
    }
    free(all);
    double mn = (double)na * (double)nb, mean = mn / 2;
    out->u = ra - (double)na * (double)(na + 1) / 2;
    double sd0 = sqrt(mn / 12 * (double)(n + 1)); /* no ties: for the smallest p */
    if (n <= EXACT_MAX_N) {
        out->p_min = fmin(1, 2 / binom(n, na));
    } else {
        out->p_min = erfc((mean - 0.5) / sd0 / sqrt(2.0));
    }
    if (ties == 0 && n <= EXACT_MAX_N) {
        out->exact = true;
        return exact_p(na, nb, out->u, &out->p);
    }
    double var = mn / 12 * ((double)(n + 1) - ties / ((double)n * (double)(n - 1)));
    if (!(var > 0)) /* every value the same: no evidence of a difference */
        return 0;
    double z = (fabs(out->u - mean) - 0.5) / sqrt(var);
    out->z = z > 0 ? z : 0;
    out->p = fmin(1, erfc(out->z / sqrt(2.0)));
    return 0;
}
