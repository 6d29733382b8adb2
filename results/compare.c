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

/* --- N-way ------------------------------------------------------------------------ */

static bool same_key_nway(const struct aib_result *x, const struct aib_result *y, bool device)
{
    return strcmp(x->workload, y->workload) == 0 && strcmp(x->params, y->params) == 0 &&
           (!device || strcmp(x->device, y->device) == 0);
}

/* The cells of row `r` for the results of column 0..ncols that match key. */
static void fill_row(const struct aib_result *const *res, const size_t *nres, size_t ncols,
                     bool device, double tol, bool **used, const struct aib_result *key,
                     struct aib_nrow *row)
{
    row->present = 0;
    for (size_t c = 0; c < ncols; c++) {
        row->cell[c] = NULL;
        for (size_t k = 0; k < nres[c] && !row->cell[c]; k++) {
            if (!used[c][k] && same_key_nway(key, &res[c][k], device)) {
                used[c][k] = true;
                row->cell[c] = &res[c][k];
            }
        }
        row->present += row->cell[c] != NULL;
    }
    row->common = row->present == ncols;
    for (size_t c = 0; c < ncols; c++) {
        const struct aib_result *x = row->cell[c];
        row->speedup[c] = speedup(row->cell[0], x);
        row->verdict[c] = c == 0 ? AIB_VERDICT_SAME : aib_compare_pair(row->cell[0], x, tol);
        if (!x || strcmp(x->status, AIB_STATUS_OK) != 0 || !(x->st.median > 0) ||
            !isfinite(x->st.median))
            row->common = false;
    }
}

int aib_compare_nway(const struct aib_result *const *res, const size_t *nres, size_t ncols,
                     bool match_device, double same_tol, struct aib_nway *out)
{
    size_t total = 0, n = 0;
    bool **used = NULL;
    int rc = 0;
    memset(out, 0, sizeof *out);
    out->ncols = ncols;
    for (size_t c = 0; c < ncols; c++)
        total += nres[c];
    if (ncols == 0 || total == 0)
        return 0;
    used = calloc(ncols, sizeof *used);
    out->rows = calloc(total, sizeof *out->rows);
    /* One block: per row, ncols cell pointers, speedups and verdicts. */
    size_t per_row = ncols * (sizeof(void *) + sizeof(double) + sizeof(enum aib_verdict));
    out->mem_ = calloc(total, per_row);
    if (!used || !out->rows || !out->mem_) {
        rc = AIB_ENOMEM;
        goto cleanup;
    }
    for (size_t c = 0; c < ncols; c++)
        if (!(used[c] = calloc(nres[c] ? nres[c] : 1, sizeof **used))) {
            rc = AIB_ENOMEM;
            goto cleanup;
        }
    const struct aib_result **cells = out->mem_;
    double *sp = (double *)(cells + total * ncols);
    enum aib_verdict *vd = (enum aib_verdict *)(sp + total * ncols);
    for (size_t c = 0; c < ncols; c++) {
        for (size_t k = 0; k < nres[c]; k++) {
            if (used[c][k])
                continue;
            struct aib_nrow *row = &out->rows[n];
            row->cell = cells + n * ncols;
            row->speedup = sp + n * ncols;
            row->verdict = vd + n * ncols;
            n++;
            fill_row(res, nres, ncols, match_device, same_tol, used, &res[c][k], row);
        }
    }
    out->nrows = n;
cleanup:
    if (used)
        for (size_t c = 0; c < ncols; c++)
            free(used[c]);
    free(used);
    if (rc)
        aib_compare_nway_free(out);
    return rc;
}

void aib_compare_nway_free(struct aib_nway *n)
{
    free(n->rows);
    free(n->mem_);
    memset(n, 0, sizeof *n);
}

const char *const aib_categories[AIB_N_CATEGORIES] = {"compute", "memory", "storage", "network",
                                                      "other"};

const char *aib_workload_category(const char *w)
{
    static const struct {
        const char *workload, *category;
    } map[] = {{"matmul", "compute"}, {"conv", "compute"},    {"peak", "compute"},
               {"membw", "memory"},   {"transfer", "memory"}, {"io", "storage"},
               {"net", "network"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(w, map[i].workload) == 0)
            return map[i].category;
    return "other";
}

double aib_result_perf(const struct aib_result *r, const char **unit)
{
    if (unit)
        *unit = r->unit[0] && isfinite(r->throughput) && r->throughput > 0 ? r->unit : "it/s";
    if (strcmp(r->status, AIB_STATUS_OK) != 0)
        return NAN;
    if (r->unit[0] && isfinite(r->throughput) && r->throughput > 0)
        return r->throughput;
    return r->st.median > 0 && isfinite(r->st.median) ? 1 / r->st.median : NAN;
}

double aib_result_perf_per_watt(const struct aib_result *r, const char **why)
{
    const struct aib_metric *p = aib_result_metric(r, "avg_power");
    const struct aib_metric *e = aib_result_metric(r, "energy");
    double perf = aib_result_perf(r, NULL);
    *why = NULL;
    if (p && p->valid && p->value > 0 && isfinite(perf))
        return perf / p->value;
    if (e && !e->valid && e->note[0])
        *why = e->note;
    else if (!isfinite(perf))
        *why = "no result";
    else
        *why = "no energy metric (profilers off, or none could read energy)";
    return NAN;
}

/* Geometric mean of the logs summed in `sum` over n terms. */
static double gmean(double sum, size_t n) { return n ? exp(sum / (double)n) : NAN; }

static void score_one(const struct aib_nway *nw, const double *prices, struct aib_score *s)
{
    size_t nc = nw->ncols;
    s->per_watt_ref = s->per_dollar_ref = nc;
    for (size_t c = 0; c < nc; c++) {
        double sum = 0, sumw = 0;
        const char *why = NULL;
        for (size_t i = 0; i < nw->nrows; i++) {
            const struct aib_nrow *r = &nw->rows[i];
            if (!r->common || strcmp(aib_workload_category(r->cell[0]->workload), s->category))
                continue;
            sum += log(r->speedup[c]);
            const char *w = NULL;
            double pw = aib_result_perf_per_watt(r->cell[c], &w);
            if (!why && !isfinite(pw))
                why = w;
            sumw += isfinite(pw) ? log(pw) : 0;
        }
        s->speed[c] = gmean(sum, s->nrows);
        s->no_energy[c] = why;
        /* Absolute for now (mixed units, but the same rows in every column):
         * made relative to the reference column below. */
        s->per_watt[c] = why ? NAN : gmean(sumw, s->nrows);
        if (!why && s->per_watt_ref == nc)
            s->per_watt_ref = c;
        double pd = prices && prices[c] > 0 ? s->speed[c] / prices[c] : NAN;
        s->per_dollar[c] = pd;
        if (isfinite(pd) && s->per_dollar_ref == nc)
            s->per_dollar_ref = c;
    }
    double wref = s->per_watt_ref < nc ? s->per_watt[s->per_watt_ref] : NAN;
    double dref = s->per_dollar_ref < nc ? s->per_dollar[s->per_dollar_ref] : NAN;
    for (size_t c = 0; c < nc; c++) {
        s->per_watt[c] /= wref;
        s->per_dollar[c] /= dref;
    }
}

int aib_compare_scores(const struct aib_nway *nw, const double *prices, struct aib_score **out,
                       size_t *nout)
{
    struct aib_score *arr = NULL;
    size_t n = 0, nc = nw->ncols;
    *out = NULL;
    *nout = 0;
    arr = calloc(AIB_N_CATEGORIES, sizeof *arr);
    if (!arr)
        return AIB_ENOMEM;
    for (size_t k = 0; k < AIB_N_CATEGORIES; k++) {
        size_t rows = 0;
        for (size_t i = 0; i < nw->nrows; i++)
            rows += nw->rows[i].common &&
                    strcmp(aib_workload_category(nw->rows[i].cell[0]->workload),
                           aib_categories[k]) == 0;
        if (rows == 0)
            continue;
        struct aib_score *s = &arr[n++];
        s->category = aib_categories[k];
        s->nrows = rows;
        s->speed = calloc(3 * nc, sizeof *s->speed);
        s->no_energy = calloc(nc, sizeof *s->no_energy);
        if (!s->speed || !s->no_energy) {
            aib_scores_free(arr, n);
            return AIB_ENOMEM;
        }
        s->per_watt = s->speed + nc;
        s->per_dollar = s->speed + 2 * nc;
        score_one(nw, prices, s);
    }
    *out = arr;
    *nout = n;
    return 0;
}

void aib_scores_free(struct aib_score *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        free(s[i].speed);
        free(s[i].no_energy);
    }
    free(s);
}
