/* The verdict for each result of a run against its baseline.
 *
 * Results pair by workload, device and parameters. Several results with
 * one key in one run are repetitions (a suite's `repetitions:`): their
 * samples are pooled, and the range of their medians is kept.
 *
 * For a pair (B = baseline, C = current) with threshold t (--max-regression)
 * and significance level alpha (--alpha):
 *
 *   1. FAILED when C failed (a wrong answer, an error); INCONCLUSIVE when C
 *      or B is otherwise not ok (skipped), or either has < 2 samples.
 *   2. r = median(C) / median(B), the ratio of the median times (> 1: C is
 *      slower); p = the two-sided Mann-Whitney U p-value of the samples.
 *   3. INCONCLUSIVE when even the most extreme ranking could not reach
 *      alpha with these sample counts (p_min >= alpha).
 *   4. With p < alpha and r beyond the threshold (r > 1 + t, or
 *      r < 1 / (1 + t)): REGRESSED (slower) or IMPROVED (faster), provided
 *      that, when both runs have two or more repetitions, the repetitions
 *      agree: the Mann-Whitney test of the repetitions' medians points the
 *      same way with p <= alpha, or, with too few repetitions to ever reach
 *      alpha (4 against 4 or fewer at 0.01), they are completely apart.
 *      Otherwise INCONCLUSIVE: the run-to-run noise is as large as the
 *      change.
 *   5. Otherwise, INCONCLUSIVE when r is beyond the threshold either way
 *      (a change that large, but not significant: within the noise), or
 *      when the noise (the wider relative half-width of the two medians'
 *      95% confidence intervals) is more than t or unknown: the runs are
 *      too noisy to rule out a change of t.
 *   6. Otherwise UNCHANGED (the change is within the threshold, whether or
 *      not it is significant: a real 1% drift is not a regression at 5%).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/probe.h"
#include "../bench/stats.h"
#include "ci.h"

void aib_ci_opts_default(struct aib_ci_opts *o)
{
    o->max_regression = 0.05;
    o->alpha = 0.01;
    o->fail_on_inconclusive = false;
}

const char *aib_ci_verdict_name(enum aib_ci_verdict v)
{
    switch (v) {
    case AIB_CI_UNCHANGED: return "unchanged";
    case AIB_CI_IMPROVED: return "improved";
    case AIB_CI_REGRESSED: return "regressed";
    case AIB_CI_INCONCLUSIVE: return "inconclusive";
    case AIB_CI_NEW: return "new";
    case AIB_CI_MISSING: return "missing";
    case AIB_CI_FAILED: return "failed";
    case AIB_CI_NVERDICTS: break;
    }
    return "?";
}

const char *aib_ci_fmt_change(double ratio, char *buf, size_t len)
{
    if (!isfinite(ratio))
        return "-";
    snprintf(buf, len, "%+.1f%%", (ratio - 1) * 100);
    return buf;
}

static bool is_ok(const struct aib_result *r) { return strcmp(r->status, AIB_STATUS_OK) == 0; }

static double rel_half_width(const struct aib_result *r)
{
    const struct aib_stats *s = &r->st;
    double w = (s->ci_hi - s->ci_lo) / 2 / s->median;
    return isfinite(w) && s->median > 0 && s->ci_lo > 0 ? w : INFINITY;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The 10th percentile of x[0..n) (n >= 1; the sample at rank
 * floor(0.1 (n - 1)) in time order): the fast tail, which other work on
 * the machine disturbs least. NAN when out of memory. */
static double fast_tail(const double *x, size_t n)
{
    double *c = malloc(n * sizeof *c), v = NAN;
    if (c) {
        memcpy(c, x, n * sizeof *c);
        qsort(c, n, sizeof *c, cmp_double);
        v = c[(size_t)(0.1 * (double)(n - 1))];
    }
    free(c);
    return v;
}

static bool is_probe(const char *name)
{
    size_t n = strlen(AIB_PROBE_METRIC);
    return strncmp(name, AIB_PROBE_METRIC, n) == 0 && (!name[n] || name[n] == '.');
}

/* The probe's change, current / baseline: the mean's, and the largest and
 * smallest over the CPUs probed on both sides (the mean's when none). All
 * NAN when either side has no probe (a run from before it existed). */
static void probe_change(struct aib_ci_row *row)
{
    const struct aib_metric *b = aib_result_metric(row->base, AIB_PROBE_METRIC),
                            *c = aib_result_metric(row->cur, AIB_PROBE_METRIC);
    row->base_probe = b && b->valid ? b->value : NAN;
    row->cur_probe = c && c->valid ? c->value : NAN;
    row->probe_ratio = row->probe_max = row->probe_min = NAN;
    if (!(row->base_probe > 0 && row->cur_probe > 0))
        return;
    row->probe_ratio = row->probe_max = row->probe_min = row->cur_probe / row->base_probe;
    bool per_cpu = false;
    for (size_t i = 0; i < row->cur->nmetrics; i++) {
        const struct aib_metric *x = &row->cur->metrics[i];
        if (!is_probe(x->name) || !strcmp(x->name, AIB_PROBE_METRIC) || !x->valid)
            continue;
        const struct aib_metric *y = aib_result_metric(row->base, x->name);
        if (!y || !y->valid || !(y->value > 0))
            continue;
        double q = x->value / y->value;
        row->probe_max = per_cpu ? fmax(row->probe_max, q) : q;
        row->probe_min = per_cpu ? fmin(row->probe_min, q) : q;
        per_cpu = true;
    }
}

/* How far the probe may move before the machine is taken to have changed
 * speed: half the threshold, so that a machine change that could explain
 * most of a change beyond it is never missed. */
static double probe_tolerance(double t) { return t / 2; }

/* Whether a machine that changed speed by q (the probe, current / baseline)
 * may explain a result that changed by r the same way: q beyond the
 * tolerance, and at least a third of r on a log scale. A workload need not
 * slow down like the probe (a busy neighbour on the physical core slows a
 * matmul more than the probe's loop), hence not all of it; but a result
 * three times slower on a machine 11% slower is the code. */
static bool probe_explains(bool slower, bool faster, double r, double q, double mt)
{
    if (slower)
        return q > 1 + mt && log(q) >= log(r) / 3;
    if (faster)
        return q < 1 / (1 + mt) && log(q) <= log(r) / 3;
    return false;
}

static int verdict(struct aib_ci_row *row, enum aib_ci_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int verdict(struct aib_ci_row *row, enum aib_ci_verdict v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->reason, sizeof row->reason, fmt, ap);
    va_end(ap);
    row->verdict = v;
    return 0;
}

/* With two or more repetitions on each side, the repetitions must tell
 * the same story: the Mann-Whitney U test of their fast tails gives p <= alpha,
 * or, when so few repetitions can never reach alpha, they are completely
 * apart (p at its smallest). `slower` says which way. */
static int reps_agree(const struct aib_ci_opts *o, struct aib_ci_row *row, bool slower,
                      bool *agree)
{
    *agree = true;
    if (row->base_reps < 2 || row->cur_reps < 2)
        return 0;
    struct aib_mwu *m = &row->reps_mwu;
    if (aib_mwu_test(row->base_rep_fast, row->base_reps, row->cur_rep_fast, row->cur_reps, m))
        return AIB_ENOMEM;
    row->reps_tested = true;
    double half = (double)row->base_reps * (double)row->cur_reps / 2;
    bool way = slower ? m->u < half : m->u > half; /* U counts baseline > current */
    *agree = way && m->p <= fmax(o->alpha, m->p_min) * (1 + 1e-9);
    return 0;
}

int aib_ci_judge(const struct aib_ci_opts *o, struct aib_ci_row *row)
{
    const struct aib_result *base = row->base, *cur = row->cur;
    char ch[32], chf[32];
    double t = o->max_regression;
    row->ratio = row->ratio_fast = row->noise = NAN;
    row->base_probe = row->cur_probe = row->probe_ratio = row->probe_max = row->probe_min = NAN;
    if (!cur)
        return verdict(row, AIB_CI_MISSING, "in the baseline run, not measured in this run");
    if (strcmp(cur->status, AIB_STATUS_FAILED) == 0)
        return verdict(row, AIB_CI_FAILED, "failed: %s", cur->error);
    if (!base)
        return verdict(row, AIB_CI_NEW, "not in the baseline run");
    if (!is_ok(cur))
        return verdict(row, AIB_CI_INCONCLUSIVE, "the current result is %s", cur->status);
    if (!is_ok(base))
        return verdict(row, AIB_CI_INCONCLUSIVE, "the baseline result is %s", base->status);
    if (base->nsamples < 2 || cur->nsamples < 2)
        return verdict(row, AIB_CI_INCONCLUSIVE, "too few samples (%zu in the baseline, %zu now)",
                       base->nsamples, cur->nsamples);
    row->ratio = cur->st.median / base->st.median;
    row->ratio_fast = fast_tail(cur->samples, cur->nsamples) /
                      fast_tail(base->samples, base->nsamples);
    row->noise = fmax(rel_half_width(base), rel_half_width(cur));
    if (isnan(row->ratio_fast) ||
        aib_mwu_test(base->samples, base->nsamples, cur->samples, cur->nsamples, &row->mwu))
        return AIB_ENOMEM;
    row->tested = true;
    probe_change(row);
    const struct aib_mwu *m = &row->mwu;
    bool slower = row->ratio > 1 + t, faster = row->ratio < 1 / (1 + t);
    aib_ci_fmt_change(row->ratio, ch, sizeof ch);
    aib_ci_fmt_change(row->ratio_fast, chf, sizeof chf);
    if (!(m->p_min < o->alpha))
        return verdict(row, AIB_CI_INCONCLUSIVE,
                       "too few samples (%zu and %zu) for a test at alpha %g", base->nsamples,
                       cur->nsamples, o->alpha);
    /* Other work on the machine slows the typical sample; a slower build
     * slows the fastest ones too. */
    if (m->p < o->alpha && ((slower && !(row->ratio_fast > 1 + t)) ||
                            (faster && !(row->ratio_fast < 1 / (1 + t)))))
        return verdict(row, AIB_CI_INCONCLUSIVE,
                       "%s median time, but %s in the fast tail (10th percentile): the "
                       "machine, not the code, is likely what changed",
                       ch, chf);
    /* The probe timed the machine itself beside every result: when it moved
     * the same way as the result, the machine may explain the change. */
    double q = slower ? row->probe_max : row->probe_min, mt = probe_tolerance(t);
    char qs[32];
    aib_ci_fmt_change(q, qs, sizeof qs);
    if (m->p < o->alpha && probe_explains(slower, faster, row->ratio, q, mt))
        return verdict(row, AIB_CI_INCONCLUSIVE,
                       "%s median time, but the machine-speed probe moved %s too: the machine, "
                       "not the code, is likely what changed",
                       ch, qs);
    bool agree = true;
    if (m->p < o->alpha && (slower || faster) && reps_agree(o, row, slower, &agree))
        return AIB_ENOMEM;
    if (!agree)
        return verdict(row, AIB_CI_INCONCLUSIVE,
                       "%s time, but the repetitions disagree (p = %.2g; their fast tails span "
                       "%.4g..%.4g s in the baseline, %.4g..%.4g s now)",
                       ch, row->reps_mwu.p, row->base_rep_lo, row->base_rep_hi, row->cur_rep_lo,
                       row->cur_rep_hi);
    if (m->p < o->alpha && slower)
        return verdict(row, AIB_CI_REGRESSED,
                       "%s time (fast tail %s), beyond +%g%% (p = %.2g)", ch, chf, t * 100, m->p);
    if (m->p < o->alpha && faster)
        return verdict(row, AIB_CI_IMPROVED, "%s time (fast tail %s), beyond -%.3g%% (p = %.2g)",
                       ch, chf, (1 - 1 / (1 + t)) * 100, m->p);
    if (slower || faster)
        return verdict(row, AIB_CI_INCONCLUSIVE, "%s time, but not significant (p = %.2g)", ch,
                       m->p);
    if (!(row->noise <= t))
        return verdict(row, AIB_CI_INCONCLUSIVE,
                       "%s time, but the noise (95%% CI of a median: +-%.1f%%) exceeds %g%%", ch,
                       row->noise * 100, t * 100);
    return verdict(row, AIB_CI_UNCHANGED, "%s time, within %g%% (p = %.2g)", ch, t * 100, m->p);
}

static bool same_key(const struct aib_result *x, const struct aib_result *y)
{
    return strcmp(x->workload, y->workload) == 0 && strcmp(x->device, y->device) == 0 &&
           strcmp(x->params, y->params) == 0;
}

/* Joins the repetitions parts[0..n) of one result into *out: samples in
 * order, statistics recomputed; failed if any failed, else not ok if any
 * is not. Sets each repetition's fast tail, their range, and the time the
 * repetitions took. */
/* Each probe metric of the repetitions (the mean, and one per CPU) becomes
 * the median of its values in the pooled result; 0 or AIB_ENOMEM. */
static int pool_probe(const struct aib_result *const *parts, size_t n, struct aib_result *out)
{
    double *v = malloc(n * sizeof *v);
    int rc = v ? 0 : AIB_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        for (size_t m = 0; rc == 0 && m < parts[i]->nmetrics; m++) {
            const struct aib_metric *pm = &parts[i]->metrics[m];
            if (!is_probe(pm->name) || aib_result_metric(out, pm->name))
                continue; /* not a probe, or pooled already */
            size_t k = 0;
            for (size_t j = i; j < n; j++) {
                const struct aib_metric *x = aib_result_metric(parts[j], pm->name);
                if (x && x->valid && x->value > 0 && isfinite(x->value))
                    v[k++] = x->value;
            }
            if (!k)
                continue;
            qsort(v, k, sizeof *v, cmp_double);
            rc = aib_result_set_metric(out, pm->name, k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2,
                                       pm->unit, 1, pm->note);
        }
    }
    free(v);
    return rc;
}

static int pool(const struct aib_result *const *parts, size_t n, struct aib_result *out,
                double *meds, double *lo, double *hi, double *seconds)
{
    const struct aib_result *first = parts[0], *tp = NULL;
    memset(out, 0, sizeof *out);
    memcpy(out->workload, first->workload, sizeof out->workload);
    memcpy(out->device, first->device, sizeof out->device);
    memcpy(out->params, first->params, sizeof out->params);
    memcpy(out->unit, first->unit, sizeof out->unit);
    out->id = first->id;
    out->flops = first->flops;
    out->bytes = first->bytes;
    out->ops = first->ops;
    out->started = first->started;
    snprintf(out->status, sizeof out->status, "%s", AIB_STATUS_OK);
    *lo = INFINITY;
    *hi = -INFINITY;
    *seconds = 0;
    for (size_t i = 0; i < n; i++) {
        const struct aib_result *r = parts[i];
        bool failed_now = strcmp(out->status, AIB_STATUS_FAILED) == 0;
        if (strcmp(r->status, AIB_STATUS_FAILED) == 0 && !failed_now) {
            memcpy(out->status, r->status, sizeof out->status);
            memcpy(out->error, r->error, sizeof out->error);
        } else if (!is_ok(r) && is_ok(out)) {
            memcpy(out->status, r->status, sizeof out->status);
        }
        for (size_t k = 0; k < r->nsamples; k++)
            if (aib_result_push_sample(out, r->samples[k]))
                return AIB_ENOMEM;
        meds[i] = r->nsamples ? fast_tail(r->samples, r->nsamples) : NAN;
        if (r->nsamples && isnan(meds[i]))
            return AIB_ENOMEM;
        if (is_ok(r) && r->st.median > 0) {
            *lo = fmin(*lo, meds[i]);
            *hi = fmax(*hi, meds[i]);
            if (!tp && r->throughput > 0)
                tp = r;
        }
        if (isfinite(r->ended - r->started) && r->ended > r->started)
            *seconds += r->ended - r->started;
    }
    out->ended = out->started + *seconds;
    if (pool_probe(parts, n, out))
        return AIB_ENOMEM;
    if (aib_stats_compute(out->samples, out->nsamples, &out->st))
        return AIB_ENOMEM;
    /* Throughput is work / median time: scale the first repetition's. */
    out->throughput = tp && out->st.median > 0 ? tp->throughput * tp->st.median / out->st.median
                                               : NAN;
    return 0;
}

/* Pools every result of arr[from..n) with the key of `key` not used yet
 * into *out; *meds gets the fast tail of each (caller frees). */
static int pool_key(const struct aib_result *arr, size_t n, size_t from, bool *used,
                    const struct aib_result *key, const struct aib_result **parts,
                    struct aib_result *out, size_t *count, double **meds, double *lo, double *hi,
                    double *secs)
{
    size_t k = 0;
    for (size_t j = from; j < n; j++)
        if (!used[j] && same_key(&arr[j], key)) {
            used[j] = true;
            parts[k++] = &arr[j];
        }
    *count = k;
    if (!k)
        return 0;
    if (!(*meds = calloc(k, sizeof **meds)))
        return AIB_ENOMEM;
    return pool(parts, k, out, *meds, lo, hi, secs);
}

int aib_ci_gate(const struct aib_result *base, size_t nbase, const struct aib_result *cur,
                size_t ncur, const struct aib_ci_opts *o, struct aib_ci_gate *g)
{
    size_t most = nbase > ncur ? nbase : ncur, np = 0, k = 0;
    double secs;
    memset(g, 0, sizeof *g);
    g->rows = calloc(nbase + ncur + 1, sizeof *g->rows);
    g->pooled = calloc(2 * (nbase + ncur) + 1, sizeof *g->pooled); /* <= 2 per row */
    const struct aib_result **parts = calloc(most + 1, sizeof *parts);
    bool *used_b = calloc(nbase + 1, sizeof *used_b), *used_c = calloc(ncur + 1, sizeof *used_c);
    int rc = g->rows && g->pooled && parts && used_b && used_c ? 0 : AIB_ENOMEM;
    for (size_t i = 0; rc == 0 && i < ncur; i++) {
        if (used_c[i])
            continue;
        struct aib_ci_row *row = &g->rows[k++];
        struct aib_result *pc = &g->pooled[np++];
        rc = pool_key(cur, ncur, i, used_c, &cur[i], parts, pc, &row->cur_reps, &row->cur_rep_fast,
                      &row->cur_rep_lo, &row->cur_rep_hi, &row->seconds);
        row->cur = pc;
        struct aib_result *pb = &g->pooled[np++];
        if (rc == 0)
            rc = pool_key(base, nbase, 0, used_b, &cur[i], parts, pb, &row->base_reps,
                          &row->base_rep_fast, &row->base_rep_lo, &row->base_rep_hi, &secs);
        row->base = row->base_reps ? pb : NULL;
        if (rc == 0)
            rc = aib_ci_judge(o, row);
    }
    for (size_t j = 0; rc == 0 && j < nbase; j++) {
        if (used_b[j])
            continue;
        struct aib_ci_row *row = &g->rows[k++];
        struct aib_result *pb = &g->pooled[np++];
        rc = pool_key(base, nbase, j, used_b, &base[j], parts, pb, &row->base_reps,
                      &row->base_rep_fast, &row->base_rep_lo, &row->base_rep_hi, &secs);
        row->base = pb;
        if (rc == 0)
            rc = aib_ci_judge(o, row);
    }
    free(parts);
    free(used_b);
    free(used_c);
    g->n = k;
    g->npooled = np;
    return rc;
}

void aib_ci_gate_free(struct aib_ci_gate *g)
{
    for (size_t i = 0; g->rows && i < g->n; i++) {
        free(g->rows[i].base_rep_fast);
        free(g->rows[i].cur_rep_fast);
    }
    for (size_t i = 0; i < g->npooled; i++)
        aib_result_free(&g->pooled[i]);
    free(g->pooled);
    free(g->rows);
    memset(g, 0, sizeof *g);
}

int aib_ci_exit_status(const struct aib_ci_row *rows, size_t n, const struct aib_ci_opts *o)
{
    bool failed = false, regressed = false, inconclusive = false;
    for (size_t i = 0; i < n; i++) {
        failed |= rows[i].verdict == AIB_CI_FAILED;
        regressed |= rows[i].verdict == AIB_CI_REGRESSED;
        inconclusive |= rows[i].verdict == AIB_CI_INCONCLUSIVE;
    }
    return failed ? 2 : regressed ? 1 : inconclusive && o->fail_on_inconclusive ? 3 : 0;
}

void aib_ci_report_init(struct aib_ci_report *r, const struct aib_run *base,
                        const struct aib_run *cur, const struct aib_ci_row *rows, size_t n,
                        const struct aib_ci_opts *o)
{
    memset(r, 0, sizeof *r);
    r->base = base;
    r->cur = cur;
    r->rows = rows;
    r->n = n;
    r->opts = *o;
    for (size_t i = 0; i < n; i++)
        r->count[rows[i].verdict]++;
    r->status = aib_ci_exit_status(rows, n, o);
}
