#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile_sorted(const double *s, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n)
        return s[n - 1];
    double f = pos - (double)i;
    return s[i] + f * (s[i + 1] - s[i]);
}

/* Binomial(n, 1/2) CDF, computed in log space so large n does not overflow. */
static double binom_cdf_half(size_t k, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i <= k; i++)
        sum += exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) -
                   (double)n * log(2.0));
    return sum;
}

int aib_median_ci_ranks(size_t n, size_t *lo, size_t *hi)
{
    if (n < 6)
        return 0;
    size_t j;
    if (n <= 40) {
        /* Largest j with P(X <= j-1) <= 0.025: then [x_(j), x_(n-j+1)] (1-based)
         * covers the median with probability >= 95%. */
        j = 0;
        while (binom_cdf_half(j, n) <= 0.025)
            j++;
        /* 1-based rank j -> 0-based j-1; symmetric upper bound. */
        if (j == 0)
            return 0;
        *lo = j - 1;
        *hi = n - j;
    } else {
        double half = 1.96 * sqrt((double)n) / 2.0;
        double l = floor((double)n / 2.0 - half);
        double h = ceil((double)n / 2.0 + half);
        *lo = l < 1 ? 0 : (size_t)l - 1;
        *hi = h > (double)n ? n - 1 : (size_t)h - 1;
    }
    return 1;
}

double aib_stats_ci_rel(const struct aib_stats *st)
{
    if (st->n == 0 || st->median <= 0 || st->ci_hi < st->ci_lo)
        return INFINITY;
    if (st->ci_lo == 0 && st->ci_hi == 0)
        return INFINITY;
    return (st->ci_hi - st->ci_lo) / 2.0 / st->median;
}

int aib_stats_compute(const double *x, size_t n, struct aib_stats *st)
{
    memset(st, 0, sizeof *st);
    st->n = n;
    if (n == 0)
        return 0;
    double *s = malloc(n * sizeof *s);
    double *dev = malloc(n * sizeof *dev);
    if (!s || !dev) {
        free(s);
        free(dev);
        return AIB_ENOMEM;
    }
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    st->min = s[0];
    st->max = s[n - 1];
    st->median = quantile_sorted(s, n, 0.5);
    st->p95 = quantile_sorted(s, n, 0.95);
    /* Welford for a numerically stable mean and variance. */
    double mean = 0, m2 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = s[i] - mean;
        mean += d / (double)(i + 1);
        m2 += d * (s[i] - mean);
    }
    st->mean = mean;
    st->stddev = n > 1 ? sqrt(m2 / (double)(n - 1)) : 0.0;
    st->cv = mean > 0 ? st->stddev / mean : 0.0;
    size_t lo, hi;
    if (aib_median_ci_ranks(n, &lo, &hi)) {
        st->ci_lo = s[lo];
        st->ci_hi = s[hi];
    } else {
        /* Too few samples for a 95% interval: the full range, honestly wide. */
        st->ci_lo = s[0];
        st->ci_hi = s[n - 1];
    }
    for (size_t i = 0; i < n; i++)
        dev[i] = fabs(s[i] - st->median);
    qsort(dev, n, sizeof *dev, cmp_double);
    st->mad = quantile_sorted(dev, n, 0.5);
    /* 1.4826 * MAD estimates sigma for normal data; 3 sigma marks an outlier. */
    double lim = 3.0 * 1.4826 * st->mad;
    for (size_t i = 0; i < n; i++)
        if (fabs(s[i] - st->median) > lim && lim > 0)
            st->outliers++;
    free(s);
    free(dev);
    return 0;
}
