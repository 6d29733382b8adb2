/* The tables of a report (report.h), built as text cells so the HTML and
 * Markdown writers draw the same thing. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_common.h"
#include "compare.h"
#include "report.h"
#include "svg.h"

/* A table under construction: after the first failed allocation every
 * call does nothing and done() reports AIB_ENOMEM. */
struct tb {
    struct aib_rtable *t;
    bool oom;
};

static void tb_row(struct tb *b)
{
    struct aib_rtable *t = b->t;
    if (b->oom)
        return;
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
        if (c)
            t->cells = c;
        char **n = c ? realloc(t->notes, cap * sizeof *n) : NULL;
        if (!c || !n) {
            b->oom = true;
            return;
        }
        t->notes = n, t->cap = cap;
    }
    for (size_t i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = NULL;
    t->notes[t->nrows++] = NULL;
}

static void tb_set(struct tb *b, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void tb_set(struct tb *b, size_t col, const char *fmt, ...)
{
    struct aib_rtable *t = b->t;
    char *s = NULL;
    va_list ap;
    if (b->oom || !t->nrows || col >= t->ncols)
        return;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    char **cell = &t->cells[(t->nrows - 1) * t->ncols + col];
    free(*cell);
    *cell = s;
}

static void tb_note(struct tb *b, const char *text)
{
    if (b->oom || !b->t->nrows)
        return;
    char *s = strdup(text);
    if (!s) {
        b->oom = true;
        return;
    }
    free(b->t->notes[b->t->nrows - 1]);
    b->t->notes[b->t->nrows - 1] = s;
}

/* Fills every unset cell with "" (writers never see NULL); the result. */
static int tb_done(struct tb *b)
{
    struct aib_rtable *t = b->t;
    for (size_t i = 0; !b->oom && i < t->nrows * t->ncols; i++)
        if (!t->cells[i] && !(t->cells[i] = strdup("")))
            b->oom = true;
    if (b->oom) {
        aib_rtable_free(t);
        return AIB_ENOMEM;
    }
    return 0;
}

static void tb_init(struct tb *b, struct aib_rtable *t, const char *align,
                    const char *const *head)
{
    memset(t, 0, sizeof *t);
    b->t = t, b->oom = false;
    t->ncols = strlen(align);
    snprintf(t->align, sizeof t->align, "%s", align);
    tb_row(b);
    for (size_t c = 0; c < t->ncols; c++)
        tb_set(b, c, "%s", head[c]);
}

void aib_rtable_free(struct aib_rtable *t)
{
    for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    for (size_t i = 0; t->notes && i < t->nrows; i++)
        free(t->notes[i]);
    free(t->cells);
    free(t->notes);
    memset(t, 0, sizeof *t);
}

/* --- the tables ------------------------------------------------------------------ */

/* The machine in one cell, from the host fingerprint's parts. */
static void machine(struct tb *b, size_t col, const struct aib_kvlist *env)
{
    const char *cpu = aib_kv_get(env, "fingerprint.cpu");
    const char *cores = aib_kv_get(env, "fingerprint.cpu.cores");
    const char *mem = aib_kv_get(env, "fingerprint.memory");
    const char *os = aib_kv_get(env, "fingerprint.os");
    tb_set(b, col, "%s%s%s%s%s%s%s%s", cpu ? cpu : "?", cores ? ", " : "", cores ? cores : "",
           cores ? " cores" : "", mem ? ", " : "", mem ? mem : "", os ? ", " : "", os ? os : "");
}

int aib_rtable_runs(const struct aib_report_doc *d, struct aib_rtable *t)
{
    static const char *const head[] = {"run",     "uuid",    "started", "status",
                                       "suite",   "host",    "machine", "commit",
                                       "results", "duration", "command"};
    struct tb b;
    char when[32];
    tb_init(&b, t, "rlllllllrrl", head);
    for (size_t i = 0; i < d->nruns; i++) {
        const struct aib_run *r = &d->runs[i].run;
        tb_row(&b);
        tb_set(&b, 0, "%lld", (long long)r->id);
        tb_set(&b, 1, "%s", r->uuid);
        tb_set(&b, 2, "%s", aib_rcmd_fmt_time(r->started, when, sizeof when));
        tb_set(&b, 3, "%s", r->status);
        tb_set(&b, 4, "%s", r->suite[0] ? r->suite : "-");
        tb_set(&b, 5, "%s", r->host[0] ? r->host : "-");
        machine(&b, 6, &r->env);
        tb_set(&b, 7, "%.12s", r->git_commit[0] ? r->git_commit : "-");
        tb_set(&b, 8, "%zu", d->runs[i].n);
        if (isfinite(r->ended - r->started) && r->ended > r->started)
            tb_set(&b, 9, "%.1f s", r->ended - r->started);
        tb_set(&b, 10, "%s", r->cmdline);
    }
    return tb_done(&b);
}

/* The keys that tell machines apart, in this order; devices by name. */
static bool key_fact(const char *k)
{
    static const char *const keys[] = {
        "host",           "os",           "kernel",       "compiler",     "cflags",
        "aibench.version", "aibench.commit", "online_cpus", "cpus_allowed", "fingerprint",
        "fingerprint.cpu", "fingerprint.memory"};
    static const char *const dev_keys[] = {".name", ".cores", ".threads", ".memory_meminfo",
                                           ".simd", ".max_freq", ".governor", ".peak_fp32_gflops",
                                           ".peak_fp64_gflops", ".compute_units", ".memory"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(k, keys[i]) == 0)
            return true;
    if (strncmp(k, "backend.", 8) == 0)
        return true;
    if (strncmp(k, "device.", 7) != 0)
        return false;
    for (size_t i = 0; i < sizeof dev_keys / sizeof dev_keys[0]; i++) {
        size_t kl = strlen(k), sl = strlen(dev_keys[i]);
        if (kl > sl && strcmp(k + kl - sl, dev_keys[i]) == 0)
            return strchr(k + 7, '.') == k + kl - sl; /* device.ID.key, not deeper */
    }
    return false;
}

int aib_rtable_env(const struct aib_run *run, bool key_facts, struct aib_rtable *t)
{
    static const char *const head[] = {"key", "value"};
    struct tb b;
    tb_init(&b, t, "ll", head);
    for (size_t i = 0; i < run->env.len; i++) {
        const struct aib_kv *kv = &run->env.items[i];
        if (key_facts && !key_fact(kv->key))
            continue;
        tb_row(&b);
        tb_set(&b, 0, "%s", kv->key);
        tb_set(&b, 1, "%s", kv->value);
    }
    return tb_done(&b);
}

/* The roofline point of the idx-th result (1-based) of a run, or NULL. */
static const struct aib_roof_point *point_of(const struct aib_report_run *r, size_t idx)
{
    for (size_t i = 0; i < r->rl.npts; i++)
        if (r->rl.pts[i].index == idx)
            return &r->rl.pts[i];
    return NULL;
}

/* The params cell of row i: what tells it apart from the other rows (the
 * caller states the shared rest once), or all of it when nothing does. */
static void params_cell(struct tb *b, size_t col, const char *const *all, size_t n, size_t i)
{
    char buf[512];
    aib_report_varying(all, n, i, buf, sizeof buf);
    tb_set(b, col, "%s", buf[0] ? buf : all[i]);
}

int aib_report_shared_params(const struct aib_result *res, size_t n, char *out, size_t len)
{
    const char **all = calloc(n ? n : 1, sizeof *all);
    out[0] = '\0';
    if (!all)
        return AIB_ENOMEM;
    for (size_t i = 0; i < n; i++)
        all[i] = res[i].params;
    if (n > 1)
        aib_report_common(all, n, out, len);
    free(all);
    return 0;
}

int aib_rtable_results(const struct aib_report_run *r, struct aib_rtable *t)
{
    static const char *const head[] = {"#",      "workload", "device", "params", "status", "n",
                                       "median", "±CI",      "CV",     "throughput", "roofline"};
    struct tb b;
    char buf[64];
    const char **all = calloc(r->n ? r->n : 1, sizeof *all);
    if (!all)
        return AIB_ENOMEM;
    for (size_t i = 0; i < r->n; i++)
        all[i] = r->res[i].params;
    tb_init(&b, t, "rllllrrrrrl", head);
    for (size_t i = 0; i < r->n; i++) {
        const struct aib_result *x = &r->res[i];
        const struct aib_stats *s = &x->st;
        tb_row(&b);
        tb_set(&b, 0, "%zu", i + 1);
        tb_set(&b, 1, "%s", x->workload);
        tb_set(&b, 2, "%s", x->device);
        params_cell(&b, 3, all, r->n, i);
        tb_set(&b, 4, "%s", x->status);
        tb_set(&b, 5, "%zu", s->n);
        if (s->n) {
            tb_set(&b, 6, "%s", aib_rcmd_fmt_secs(s->median, buf, sizeof buf));
            if (isfinite(s->ci_lo) && isfinite(s->ci_hi) && s->median > 0)
                tb_set(&b, 7, "±%.1f%%", (s->ci_hi - s->ci_lo) / 2 / s->median * 100);
            if (isfinite(s->cv))
                tb_set(&b, 8, "%.1f%%", s->cv * 100);
        }
        tb_set(&b, 9, "%s", aib_rcmd_fmt_tput(x, buf, sizeof buf));
        const struct aib_roof_point *p = point_of(r, i + 1);
        if (p && p->bound != AIB_ROOF_UNPLACED)
            tb_set(&b, 10, "%s, %.0f%% of roof", aib_roof_bound_name(p->bound), p->fraction * 100);
        if (x->error[0])
            tb_note(&b, x->error);
    }
    free(all);
    return tb_done(&b);
}

int aib_rtable_compare(const struct aib_report_run *a, const struct aib_report_run *b, double tol,
                       struct aib_rtable *t, char *summary, size_t len)
{
    static const char *const head[] = {"workload", "device", "params", "A", "B", "B/A",
                                       "verdict"};
    struct aib_cmp_row *rows = NULL;
    size_t nrows = 0, count[6] = {0};
    struct tb bld;
    char buf[64];
    if (aib_compare_runs(a->res, a->n, b->res, b->n, tol, &rows, &nrows) != 0)
        return AIB_ENOMEM;
    const char **all = calloc(nrows ? nrows : 1, sizeof *all);
    if (!all) {
        free(rows);
        return AIB_ENOMEM;
    }
    for (size_t i = 0; i < nrows; i++)
        all[i] = (rows[i].a ? rows[i].a : rows[i].b)->params;
    tb_init(&bld, t, "lllrrrl", head);
    for (size_t i = 0; i < nrows; i++) {
        const struct aib_cmp_row *r = &rows[i];
        const struct aib_result *key = r->a ? r->a : r->b;
        int bucket = !r->b ? 4 : !r->a ? 5 : (int)r->verdict;
        count[bucket]++;
        tb_row(&bld);
        tb_set(&bld, 0, "%s", key->workload);
        tb_set(&bld, 1, "%s", key->device);
        params_cell(&bld, 2, all, nrows, i);
        for (int side = 0; side < 2; side++) {
            const struct aib_result *x = side ? r->b : r->a;
            const char *v = !x                   ? "-"
                            : !aib_rcmd_is_ok(x) ? x->status
                            : aib_rcmd_has_tput(x)
                                ? aib_rcmd_fmt_tput(x, buf, sizeof buf)
                                : aib_rcmd_fmt_secs(x->st.median, buf, sizeof buf);
            tb_set(&bld, 3 + (size_t)side, "%s", v);
        }
        if (isfinite(r->speedup))
            tb_set(&bld, 5, "%.2fx", r->speedup);
        tb_set(&bld, 6, "%s",
               bucket == 4 ? "only in A" : bucket == 5 ? "only in B" : aib_verdict_name(r->verdict));
    }
    free(rows);
    free(all);
    snprintf(summary, len,
             "%zu same, %zu faster, %zu slower, %zu inconclusive, %zu only in A, %zu only in B"
             " (tolerance %g%%; B/A above 1.00x: B is faster)",
             count[AIB_VERDICT_SAME], count[AIB_VERDICT_FASTER], count[AIB_VERDICT_SLOWER],
             count[AIB_VERDICT_INCONCLUSIVE], count[4], count[5], tol * 100);
    return tb_done(&bld);
}

int aib_rtable_ceilings(const struct aib_roofline *rl, const char *device, struct aib_rtable *t)
{
    static const char *const head[] = {"ceiling", "value", "source"};
    struct tb b;
    tb_init(&b, t, "lrl", head);
    for (size_t i = 0; i < rl->nceil; i++) {
        const struct aib_roof_ceiling *c = &rl->ceil[i];
        if (strcmp(c->device, device) != 0)
            continue;
        tb_row(&b);
        if (c->kind == AIB_CEIL_COMPUTE) {
            tb_set(&b, 0, "compute %s%s", c->precision, c->declared ? " (declared)" : "");
            tb_set(&b, 1, "%.4g GFLOP/s", c->value);
        } else {
            char ws[32];
            tb_set(&b, 0, "%s (working set %s)", c->kind == AIB_CEIL_MEMORY ? "memory" : "cache",
                   c->working_set > 0 ? aib_svg_fmt_num(c->working_set, ws, sizeof ws) : "?");
            tb_set(&b, 1, "%.4g GB/s", c->value);
        }
        tb_set(&b, 2, "%s", c->source);
    }
    return tb_done(&b);
}

int aib_rtable_points(const struct aib_roofline *rl, const char *device, struct aib_rtable *t)
{
    static const char *const head[] = {"#",    "workload", "params", "flop/B", "GFLOP/s",
                                       "roof", "of roof",  "bound"};
    const char *params[512];
    size_t np = 0;
    struct tb b;
    for (size_t i = 0; i < rl->npts && np < 512; i++)
        if (strcmp(rl->pts[i].device, device) == 0)
            params[np++] = rl->pts[i].params;
    tb_init(&b, t, "lllrrrrl", head);
    for (size_t i = 0, k = 0; i < rl->npts && k < np; i++) {
        const struct aib_roof_point *p = &rl->pts[i];
        if (strcmp(p->device, device) != 0)
            continue;
        tb_row(&b);
        tb_set(&b, 0, "%c", aib_report_point_mark(k));
        tb_set(&b, 1, "%s", p->workload);
        params_cell(&b, 2, params, np, k++);
        if (p->intensity > 0)
            tb_set(&b, 3, "%.3g", p->intensity);
        tb_set(&b, 4, "%.4g", p->gflops);
        if (p->bound != AIB_ROOF_UNPLACED) {
            tb_set(&b, 5, "%.4g", p->roof);
            tb_set(&b, 6, "%.0f%%", p->fraction * 100);
        }
        tb_set(&b, 7, "%s", aib_roof_bound_name(p->bound));
        char note[sizeof p->why + sizeof p->intensity_src + 16];
        snprintf(note, sizeof note, "%s (intensity: %s)", p->why, p->intensity_src);
        tb_note(&b, note);
    }
    return tb_done(&b);
}
