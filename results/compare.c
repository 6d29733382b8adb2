/* Comparing results of two runs.
 *
 * The verdict for a pair (A = baseline, B = candidate), with tol = same_tol:
 *
 *   1. INCONCLUSIVE unless both results have status "ok", at least one
 *      sample (st.n > 0) and a usable interval: finite, 0 < ci_lo <= median
 *      <= ci_hi. (The interval is the 95% CI of the median time.)
 *   2. ratio = median_A / median_B (the speedup; > 1 means B is faster).
 *   3. If the intervals do not overlap (hi_B < lo_A or lo_B > hi_A) the
 *      difference is real: FASTER when B's interval lies below A's (B takes
 *      less time), SLOWER when above, except that a real difference within
 *      tol (|ratio - 1| <= tol) is SAME: tight intervals make a 0.3% drift
 *      "significant", but it is below what the user said matters (the
 *      noise threshold that Criterion applies too).
 *   4. If they overlap: SAME when |ratio - 1| <= tol and both intervals are
 *      tight, i.e. each half-width (hi - lo) / 2 relative to its median is
 *      <= tol; otherwise INCONCLUSIVE (the data cannot tell a change of
 *      more than tol from none).
 */
#include "compare.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/err.h"

const char *aib_verdict_name(enum aib_verdict v)
{
    switch (v) {
    case AIB_VERDICT_SAME: return "same";
    case AIB_VERDICT_FASTER: return "faster";
    case AIB_VERDICT_SLOWER: return "slower";
    case AIB_VERDICT_INCONCLUSIVE: return "inconclusive";
    }
    return "?";
}

static bool usable(const struct aib_result *r)
{
    const struct aib_stats *s = &r->st;
    return strcmp(r->status, AIB_STATUS_OK) == 0 && s->n > 0 && isfinite(s->median) &&
           isfinite(s->ci_lo) && isfinite(s->ci_hi) && s->ci_lo > 0 && s->ci_lo <= s->median &&
           s->median <= s->ci_hi;
}

static double rel_half_width(const struct aib_stats *s)
{
    return (s->ci_hi - s->ci_lo) / 2 / s->median;
}

enum aib_verdict aib_compare_pair(const struct aib_result *a, const struct aib_result *b,
                                  double same_tol)
{
    if (!a || !b || !usable(a) || !usable(b))
        return AIB_VERDICT_INCONCLUSIVE;
    double change = fabs(a->st.median / b->st.median - 1);
    bool within = change <= same_tol;
    if (b->st.ci_hi < a->st.ci_lo)
        return within ? AIB_VERDICT_SAME : AIB_VERDICT_FASTER;
    if (b->st.ci_lo > a->st.ci_hi)
        return within ? AIB_VERDICT_SAME : AIB_VERDICT_SLOWER;
    if (within && rel_half_width(&a->st) <= same_tol && rel_half_width(&b->st) <= same_tol)
        return AIB_VERDICT_SAME;
    return AIB_VERDICT_INCONCLUSIVE;
}

static bool same_key(const struct aib_result *x, const struct aib_result *y)
{
    return strcmp(x->workload, y->workload) == 0 && strcmp(x->device, y->device) == 0 &&
           strcmp(x->params, y->params) == 0;
}

static double speedup(const struct aib_result *a, const struct aib_result *b)
{
    if (!a || !b || !(a->st.median > 0) || !(b->st.median > 0))
        return NAN;
    return a->st.median / b->st.median;
}

int aib_compare_runs(const struct aib_result *a, size_t na, const struct aib_result *b, size_t nb,
                     double same_tol, struct aib_cmp_row **rows, size_t *nrows)
{
    struct aib_cmp_row *out = NULL;
    bool *used = NULL; /* B results already paired, so duplicates pair in order */
    size_t n = 0;
    int rc = 0;
    *rows = NULL;
    *nrows = 0;
    if (na + nb == 0)
        return 0;
    out = calloc(na + nb, sizeof *out);
    used = calloc(nb ? nb : 1, sizeof *used);
    if (!out || !used) {
        rc = AIB_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < na; i++) {
        struct aib_cmp_row *row = &out[n++];
        row->a = &a[i];
        for (size_t j = 0; j < nb && !row->b; j++) {
            if (!used[j] && same_key(&a[i], &b[j])) {
                used[j] = true;
                row->b = &b[j];
            }
        }
        row->speedup = speedup(row->a, row->b);
        row->verdict = aib_compare_pair(row->a, row->b, same_tol);
    }
    for (size_t j = 0; j < nb; j++) {
        if (used[j])
            continue;
        struct aib_cmp_row *row = &out[n++];
        row->b = &b[j];
        row->speedup = NAN;
        row->verdict = AIB_VERDICT_INCONCLUSIVE;
    }
cleanup:
    free(used);
    if (rc) {
        free(out);
    } else {
        *rows = out;
        *nrows = n;
    }
    return rc;
}
