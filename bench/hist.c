#include "hist.h"

#include <string.h>

void aib_hist_reset(struct aib_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

unsigned aib_hist_index(uint64_t v)
{
    if (v < AIB_HIST_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= AIB_HIST_SUB_BITS */
    unsigned shift = e - AIB_HIST_SUB_BITS;
    /* v >> shift is in [SUB, 2 SUB): one row of SUB buckets per power of two,
     * continuing the exact range without a gap. */
    return (shift + 1) * AIB_HIST_SUB + (unsigned)((v >> shift) - AIB_HIST_SUB);
}

void aib_hist_bounds(unsigned idx, uint64_t *lo, uint64_t *hi)
{
    if (idx < 2 * AIB_HIST_SUB) {
        *lo = *hi = idx;
        return;
    }
    unsigned shift = idx / AIB_HIST_SUB - 1;
    uint64_t m = AIB_HIST_SUB + idx % AIB_HIST_SUB;
    *lo = m << shift;
    *hi = *lo + ((UINT64_C(1) << shift) - 1);
}

void aib_hist_add(struct aib_hist *h, uint64_t v)
{
    h->b[aib_hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void aib_hist_merge(struct aib_hist *dst, const struct aib_hist *src)
{
    if (!src->count)
        return;
    for (unsigned i = 0; i < AIB_HIST_BUCKETS; i++)
        dst->b[i] += src->b[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t aib_hist_percentile(const struct aib_hist *h, double p)
{
    if (!h->count)
        return 0;
    if (p <= 0)
        return h->min;
    if (p >= 100)
        return h->max;
    /* Nearest rank: the ceil(p/100 * n)-th smallest value (1-based). */
    double r = p / 100.0 * (double)h->count;
    uint64_t rank = (uint64_t)r;
    if ((double)rank < r)
        rank++;
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < AIB_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen < rank)
            continue;
        uint64_t lo, hi;
        aib_hist_bounds(i, &lo, &hi);
        uint64_t mid = lo + (hi - lo) / 2;
        if (mid < h->min)
            mid = h->min;
        if (mid > h->max)
            mid = h->max;
        return mid;
    }
    return h->max;
}

double aib_hist_mean(const struct aib_hist *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
