/* Comparison of two runs: results matched by workload, device and params;
 * a verdict per pair decided from the confidence intervals of the medians,
 * not from a bare ratio. */
#ifndef AIB_COMPARE_H
#define AIB_COMPARE_H

#include <stddef.h>

#include "model.h"

enum aib_verdict {
    AIB_VERDICT_SAME,
    AIB_VERDICT_FASTER,       /* B faster than A */
    AIB_VERDICT_SLOWER,       /* B slower than A */
    AIB_VERDICT_INCONCLUSIVE, /* intervals overlap but are too wide to call it the same */
};

struct aib_cmp_row {
    const struct aib_result *a, *b; /* either may be NULL when only one side has it */
    double speedup;                 /* time_a / time_b (median): > 1 means B is faster */
    enum aib_verdict verdict;
};

const char *aib_verdict_name(enum aib_verdict v);
/* same_tol: relative change (e.g. 0.02) under which overlapping intervals count as "same". */
enum aib_verdict aib_compare_pair(const struct aib_result *a, const struct aib_result *b,
                                  double same_tol);
/* Rows for every result of A (in order), then those only in B. Caller frees *rows. */
int aib_compare_runs(const struct aib_result *a, size_t na, const struct aib_result *b, size_t nb,
                     double same_tol, struct aib_cmp_row **rows, size_t *nrows);

#endif
