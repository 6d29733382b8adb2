/* Log-linear latency histogram (HDR-histogram style) with a bounded relative
 * error, so percentiles come from counts, never from stored samples.
 *
 * Values are unsigned integers (nanoseconds in practice). Values below
 * AIB_HIST_SUB are counted exactly; each power of two [2^e, 2^(e+1)) above
 * is split into AIB_HIST_SUB buckets of width 2^(e - AIB_HIST_SUB_BITS), so
 * a bucket is at most 1/AIB_HIST_SUB of its lower bound wide. A percentile
 * is reported as the middle of its bucket (clamped to the exact min and
 * max), which is within AIB_HIST_REL_ERR (0.39%) of the value really
 * recorded at that rank. Example: 10000 ns falls in [9984, 10047], reported
 * as 10015 ns.
 *
 * Every value of uint64_t has a bucket (7424 of them, 58 KiB): nothing is
 * clipped. Not thread-safe: keep one per thread and merge. */
#ifndef AIB_HIST_H
#define AIB_HIST_H

#include <stdint.h>

#define AIB_HIST_SUB_BITS 7
#define AIB_HIST_SUB (1u << AIB_HIST_SUB_BITS)
#define AIB_HIST_BUCKETS ((64 - AIB_HIST_SUB_BITS + 1) * AIB_HIST_SUB)
/* Bound on |reported - recorded| / recorded for any percentile. */
#define AIB_HIST_REL_ERR (1.0 / (2.0 * AIB_HIST_SUB))

struct aib_hist {
    uint64_t count;
    uint64_t min, max; /* exact; min is UINT64_MAX while empty */
    double sum;        /* for the mean */
    uint64_t b[AIB_HIST_BUCKETS];
};

void aib_hist_reset(struct aib_hist *h);
void aib_hist_add(struct aib_hist *h, uint64_t v);
/* Adds every count of src into dst. */
void aib_hist_merge(struct aib_hist *dst, const struct aib_hist *src);
/* Nearest-rank percentile, p in [0, 100]: the smallest recorded value with at
 * least p% of the values at or below it (p = 100 gives the exact max, p = 0
 * the exact min). 0 when empty. */
uint64_t aib_hist_percentile(const struct aib_hist *h, double p);
double aib_hist_mean(const struct aib_hist *h);

/* Bucket index of a value, and a bucket's bounds [lo, hi] (both inclusive);
 * exposed for the tests. */
unsigned aib_hist_index(uint64_t v);
void aib_hist_bounds(unsigned idx, uint64_t *lo, uint64_t *hi);

#endif
