/* The report as a sequence of parts (report.h: aib_report_walk): every
 * writer gets the same headings, tables and charts in the same order. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct walk {
    const struct aib_report_doc *d;
    const struct aib_report_emit *e;
    struct aib_err *err;
    size_t nchart; /* for unique chart ids */
    int rc;
};

static void table(struct walk *w, int (*build)(struct aib_rtable *, const void *), const void *arg)
{
    struct aib_rtable t;
    if (w->rc)
        return;
    if (build(&t, arg) != 0) {
        w->rc = aib_err_set(w->err, AIB_ENOMEM, "out of memory writing the report");
        return;
    }
    w->e->table(w->e->ctx, &t);
    aib_rtable_free(&t);
}

static void chart(struct walk *w, struct aib_report_chart *c)
{
    if (w->rc)
        return;
    snprintf(c->id, sizeof c->id, "chart%zu", ++w->nchart);
    w->rc = w->e->chart(w->e->ctx, c, w->err);
}

static void head(struct walk *w, int level, const char *anchor, const char *text)
{
    if (!w->rc)
        w->e->heading(w->e->ctx, level, anchor, text);
}

static void para(struct walk *w, const char *text, bool code)
{
    if (!w->rc)
        w->e->para(w->e->ctx, text, code);
}

/* "Shared by every row: k=v,..." before a table whose params column
 * shows only what differs (nothing when nothing is shared). */
static void shared(struct walk *w, const struct aib_result *a, size_t na,
                   const struct aib_result *b, size_t nb)
{
    char common[512], line[600];
    struct aib_result *all = NULL;
    if (w->rc)
        return;
    if (nb) { /* both runs of a comparison: their results side by side */
        all = malloc((na + nb) * sizeof *all);
        if (!all) {
            w->rc = aib_err_set(w->err, AIB_ENOMEM, "out of memory");
            return;
        }
        memcpy(all, a, na * sizeof *all);
        memcpy(all + na, b, nb * sizeof *all);
    }
    w->rc = aib_report_shared_params(all ? all : a, na + nb, common, sizeof common);
    free(all); /* a shallow copy: the results stay with their runs */
    if (w->rc) {
        aib_err_set(w->err, AIB_ENOMEM, "out of memory");
        return;
    }
    if (common[0]) {
        snprintf(line, sizeof line, "Parameters every row shares: %s", common);
        para(w, line, false);
    }
}

/* Builders with one argument, for table(). */
static int b_runs(struct aib_rtable *t, const void *a) { return aib_rtable_runs(a, t); }
static int b_env_key(struct aib_rtable *t, const void *a) { return aib_rtable_env(a, true, t); }
static int b_env_all(struct aib_rtable *t, const void *a) { return aib_rtable_env(a, false, t); }
static int b_results(struct aib_rtable *t, const void *a) { return aib_rtable_results(a, t); }

struct dev_arg {
    const struct aib_roofline *rl;
    const char *device;
};
static int b_ceil(struct aib_rtable *t, const void *a)
{
    const struct dev_arg *x = a;
    return aib_rtable_ceilings(x->rl, x->device, t);
}
static int b_points(struct aib_rtable *t, const void *a)
{
    const struct dev_arg *x = a;
    return aib_rtable_points(x->rl, x->device, t);
}

struct cmp_arg {
    const struct aib_report_run *a, *b;
    double tol;
    char summary[256];
};
static int b_cmp(struct aib_rtable *t, const void *a)
{
    struct cmp_arg *x = (struct cmp_arg *)a;
    return aib_rtable_compare(x->a, x->b, x->tol, t, x->summary, sizeof x->summary);
}

static void environment(struct walk *w)
{
    const struct aib_report_doc *d = w->d;
    char buf[512], anchor[32];
    head(w, 2, "environment", "Environment");
    for (size_t i = 0; i < d->nruns; i++) {
        const struct aib_run *r = &d->runs[i].run;
        bool seen = false;
        for (size_t j = 0; j < i && r->fingerprint[0]; j++)
            seen |= strcmp(d->runs[j].run.fingerprint, r->fingerprint) == 0;
        if (seen)
            continue;
        /* this machine: every run with the same fingerprint */
        size_t used = (size_t)snprintf(buf, sizeof buf, "Machine %s", r->host[0] ? r->host : "?");
        if (r->fingerprint[0])
            used += (size_t)snprintf(buf + used, sizeof buf - used, " (fingerprint %s)",
                                     r->fingerprint);
        for (size_t j = i, k = 0; j < d->nruns && used < sizeof buf; j++) {
            const struct aib_run *x = &d->runs[j].run;
            if (j != i && (!r->fingerprint[0] || strcmp(x->fingerprint, r->fingerprint) != 0))
                continue;
            used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%lld",
                                     k++ ? ", " : ": run ", (long long)x->id);
        }
        snprintf(anchor, sizeof anchor, "env-%lld", (long long)r->id);
        head(w, 3, anchor, buf);
        table(w, b_env_key, r);
        for (size_t j = i; j < d->nruns; j++) {
            const struct aib_run *x = &d->runs[j].run;
            if (j != i && (!r->fingerprint[0] || strcmp(x->fingerprint, r->fingerprint) != 0))
                continue;
            snprintf(buf, sizeof buf, "All %zu environment entries of run %lld", x->env.len,
                     (long long)x->id);
            if (!w->rc)
                w->e->fold_begin(w->e->ctx, buf);
            table(w, b_env_all, x);
            if (!w->rc)
                w->e->fold_end(w->e->ctx);
        }
    }
}

/* Whether two runs share a result (workload, device and parameters). */
static bool overlap(const struct aib_report_run *a, const struct aib_report_run *b)
{
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; j < b->n; j++)
            if (strcmp(a->res[i].workload, b->res[j].workload) == 0 &&
                strcmp(a->res[i].device, b->res[j].device) == 0 &&
                strcmp(a->res[i].params, b->res[j].params) == 0)
                return true;
    return false;
}

static void comparisons(struct walk *w)
{
    const struct aib_report_doc *d = w->d;
    char buf[512], anchor[32];
    if (d->nruns < 2)
        return;
    head(w, 2, "comparison", "Comparison");
    snprintf(buf, sizeof buf,
             "Each run against run %lld, result by result (same workload, device and"
             " parameters). Verdicts come from the 95%% confidence intervals of the median"
             " times, as in aibench compare.",
             (long long)d->runs[0].run.id);
    para(w, buf, false);
    for (size_t k = 1; k < d->nruns; k++) {
        struct cmp_arg *a = calloc(1, sizeof *a);
        if (!a) {
            w->rc = w->rc ? w->rc : aib_err_set(w->err, AIB_ENOMEM, "out of memory");
            return;
        }
        *a = (struct cmp_arg){.a = &d->runs[0], .b = &d->runs[k], .tol = d->tol};
        snprintf(anchor, sizeof anchor, "cmp-%zu", k);
        snprintf(buf, sizeof buf, "Run %lld (B) against run %lld (A)",
                 (long long)d->runs[k].run.id, (long long)d->runs[0].run.id);
        head(w, 3, anchor, buf);
        if (overlap(&d->runs[0], &d->runs[k])) {
            shared(w, d->runs[0].res, d->runs[0].n, d->runs[k].res, d->runs[k].n);
            table(w, b_cmp, a);
            para(w, a->summary, false);
        } else {
            para(w, "No result in common (other workloads, devices or parameters): nothing to"
                    " compare.", false);
        }
        free(a);
    }
}

static void rooflines(struct walk *w)
{
    const struct aib_report_doc *d = w->d;
    char buf[512], anchor[48];
    const char *ids[64];
    head(w, 2, "roofline", "Roofline");
    snprintf(buf, sizeof buf,
             "Each compute result at its arithmetic intensity I under the measured ceilings of"
             " its device: the roof is min(peak, I x bandwidth). At %.0f%% of the roof or more"
             " a result is bound by the ceiling that sets it (compute-bound on the flat part,"
             " memory-bound on the slope); below, neither: latency, launches, synchronisation,"
             " IO or the code itself take the time.",
             AIB_ROOF_BOUND_FRACTION * 100);
    para(w, buf, false);
    for (size_t i = 0; i < d->nruns; i++) {
        const struct aib_report_run *r = &d->runs[i];
        size_t nd = aib_roof_devices(&r->rl, ids, 64);
        if (nd == 0) {
            snprintf(buf, sizeof buf, "Run %lld: no compute results to place.",
                     (long long)r->run.id);
            para(w, buf, false);
        }
        for (size_t k = 0; k < nd; k++) {
            struct aib_report_chart c = {.kind = AIB_CHART_ROOFLINE, .rl = &r->rl,
                                         .device = ids[k]};
            struct dev_arg a = {&r->rl, ids[k]};
            snprintf(anchor, sizeof anchor, "roof-%lld-%zu", (long long)r->run.id, k);
            snprintf(buf, sizeof buf, "Run %lld: %s", (long long)r->run.id, ids[k]);
            head(w, 3, anchor, buf);
            snprintf(c.title, sizeof c.title, "Roofline of %s, run %lld", ids[k],
                     (long long)r->run.id);
            chart(w, &c);
            snprintf(buf, sizeof buf,
                     "Ceilings (from this run and %zu other run%s of this host):", r->nhost,
                     r->nhost == 1 ? "" : "s");
            para(w, buf, false);
            table(w, b_ceil, &a);
            table(w, b_points, &a);
        }
    }
}

static void sweeps(struct walk *w)
{
    const struct aib_report_doc *d = w->d;
    char buf[256];
    head(w, 2, "scaling", "Scaling");
    for (size_t i = 0; i < d->nruns && !w->rc; i++) {
        const struct aib_report_run *r = &d->runs[i];
        struct aib_sweep *sw = NULL;
        size_t n = 0;
        if ((w->rc = aib_report_sweeps(r->res, r->n, &sw, &n, w->err)))
            return;
        if (n == 0) {
            snprintf(buf, sizeof buf,
                     "Run %lld: no sweep (results that differ in one numeric parameter, as"
                     " from -p n=256,512,1024).",
                     (long long)r->run.id);
            para(w, buf, false);
        }
        for (size_t k = 0; k < n; k++) {
            struct aib_report_chart c = {.kind = AIB_CHART_SWEEP, .sweep = &sw[k]};
            snprintf(c.title, sizeof c.title, "Run %lld: %s on %s, throughput against %s",
                     (long long)r->run.id, sw[k].workload, sw[k].device, sw[k].key);
            chart(w, &c);
        }
        aib_report_sweeps_free(sw, n);
    }
}

static void telemetry(struct walk *w)
{
    const struct aib_report_doc *d = w->d;
    char buf[512];
    head(w, 2, "telemetry", "Telemetry");
    for (size_t i = 0; i < d->nruns; i++) {
        const struct aib_report_run *r = &d->runs[i];
        const struct aib_series_set *set = &r->series;
        size_t charts = 0, used = 0;
        buf[0] = '\0';
        for (size_t k = 0; k < set->len; k++) {
            const struct aib_series *s = &set->items[k];
            bool seen = false;
            for (size_t j = 0; j < k && !seen; j++)
                seen = strcmp(set->items[j].source, s->source) == 0 &&
                       strcmp(set->items[j].name, s->name) == 0;
            if (seen)
                continue;
            if (!aib_report_series_shown(s)) {
                bool percpu = strncmp(s->name, "cpu", 3) == 0 && s->name[3] >= '0' &&
                              s->name[3] <= '9';
                if (!percpu && used < sizeof buf)
                    used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s.%s",
                                             used ? ", " : "", s->source, s->name);
                continue;
            }
            struct aib_report_chart c = {.kind = AIB_CHART_SERIES, .run = r,
                                         .source = s->source, .name = s->name};
            snprintf(c.title, sizeof c.title, "Run %lld: %s.%s%s%s%s", (long long)r->run.id,
                     s->source, s->name, s->unit[0] ? " (" : "", s->unit, s->unit[0] ? ")" : "");
            chart(w, &c);
            charts++;
        }
        char line[768];
        if (set->len == 0)
            snprintf(line, sizeof line,
                     "Run %lld: no series stored (profilers off, or an older run).",
                     (long long)r->run.id);
        else
            snprintf(line, sizeof line,
                     "Run %lld: %zu chart%s; bands are the entries of the results table."
                     " Not drawn: per-CPU series (cpuN.*; aibench results show --json has them)%s%s.",
                     (long long)r->run.id, charts, charts == 1 ? "" : "s",
                     buf[0] ? " and series that stayed 0: " : "", buf);
        para(w, line, false);
    }
}

int aib_report_walk(const struct aib_report_doc *d, const struct aib_report_emit *e,
                    struct aib_err *err)
{
    struct walk w = {.d = d, .e = e, .err = err};
    char buf[512], anchor[32];
    head(&w, 2, "runs", "Runs");
    table(&w, b_runs, d);
    head(&w, 2, "results", "Results");
    for (size_t i = 0; i < d->nruns; i++) {
        const struct aib_run *r = &d->runs[i].run;
        snprintf(anchor, sizeof anchor, "results-%lld", (long long)r->id);
        snprintf(buf, sizeof buf, "Run %lld (%.8s), host %s%s%s", (long long)r->id, r->uuid,
                 r->host[0] ? r->host : "?", r->suite[0] ? ", suite " : "", r->suite);
        head(&w, 3, anchor, buf);
        shared(&w, d->runs[i].res, d->runs[i].n, NULL, 0);
        table(&w, b_results, &d->runs[i]);
    }
    comparisons(&w);
    rooflines(&w);
    sweeps(&w);
    telemetry(&w);
    environment(&w); /* last: long, and the runs table names each machine */
    return w.rc;
}
