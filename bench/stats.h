/* Summary statistics of timed samples. */
#ifndef AIB_STATS_H
#define AIB_STATS_H

#include <stddef.h>

#include "../results/model.h"
#include "err.h"

/* Computes every field of *st from x[0..n). Needs a scratch copy; returns
 * AIB_ENOMEM on allocation failure. n == 0 gives all-zero stats. */
int aib_stats_compute(const double *x, size_t n, struct aib_stats *st);
/* Rank bounds (0-based, inclusive) of the 95% CI of the median of n sorted
 * samples, from the binomial distribution (normal approximation for n > 40,
 * exact below). Returns 0 if n is too small for a 95% interval (n < 6). */
int aib_median_ci_ranks(size_t n, size_t *lo, size_t *hi);
/* Relative half-width of the CI: (ci_hi - ci_lo) / 2 / median, or +inf. */
double aib_stats_ci_rel(const struct aib_stats *st);

#endif
