/* Comparison of two runs: results matched by workload, device and params;
 * a verdict per pair decided from the confidence intervals of the medians,
 * not from a bare ratio. */
#ifndef AIB_COMPARE_H
#define AIB_COMPARE_H

#include <stdbool.h>
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

/* --- N-way comparison (`aibench compare` with more runs, or --host) -------------
 * Column 0 is the baseline. Results are matched by workload, params and,
 * unless match_device is false (each column picked one device), device;
 * a result repeated in one run pairs in order, as in aib_compare_runs. */

struct aib_nrow {
    const struct aib_result **cell; /* one per column; NULL where the run lacks it */
    double *speedup;                /* time_0 / time_i (1 for column 0); NaN when either lacks it */
    enum aib_verdict *verdict;      /* column i against column 0 (column 0: SAME) */
    size_t present;                 /* how many columns have it */
    bool common;                    /* in every column, each ok with a median time */
};

struct aib_nway {
    size_t ncols, nrows;
    struct aib_nrow *rows; /* rows of column 0's results in order, then the others' */
    void *mem_;            /* the cells, speedups and verdicts of all rows */
};

int aib_compare_nway(const struct aib_result *const *res, const size_t *nres, size_t ncols,
                     bool match_device, double same_tol, struct aib_nway *out);
void aib_compare_nway_free(struct aib_nway *n);

/* The category a workload counts in for the scores: "compute" (matmul,
 * conv, peak), "memory" (membw, transfer), "storage" (io), "network" (net),
 * else "other". */
const char *aib_workload_category(const char *workload);
#define AIB_N_CATEGORIES 5
extern const char *const aib_categories[AIB_N_CATEGORIES];

/* Work per second of a result: its throughput when it has one, else
 * iterations per second (1 / median time). NaN when not ok. */
double aib_result_perf(const struct aib_result *r, const char **unit);
/* Perf per watt: aib_result_perf / the average power over the profiled
 * time (metric avg_power, from RAPL or NVML energy). NaN with *why set when
 * no energy was measured (why: the energy metric's own reason, or that
 * there is no energy metric). */
double aib_result_perf_per_watt(const struct aib_result *r, const char **why);

/* Scores of one category over its common rows (aib_nrow.common). */
struct aib_score {
    const char *category;
    size_t nrows;           /* common rows in this category */
    double *speed;          /* per column: geometric mean of speedup vs column 0 */
    double *per_watt;       /* per column: geometric mean of perf/W vs the column
                             * per_watt_ref; NaN where a row lacks energy */
    const char **no_energy; /* per column: why per_watt is NaN (NULL when it is not) */
    size_t per_watt_ref;    /* first column with energy in every row; ncols if none */
    double *per_dollar;     /* per column: (speed / price) relative to the column
                             * per_dollar_ref; NaN without a price */
    size_t per_dollar_ref;  /* first column with a price and a speed; ncols if none */
};

/* One score per category with common rows, in aib_categories order.
 * prices: per column in USD, NaN for none. Caller frees with
 * aib_scores_free. */
int aib_compare_scores(const struct aib_nway *n, const double *prices, struct aib_score **out,
                       size_t *nout);
void aib_scores_free(struct aib_score *s, size_t n);

#endif
