/* A profiling session: the profilers chosen for a run, opened per entry for
 * its device, started and stopped around the timed samples by the engine,
 * then read into the result as metrics. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/engine.h"
#include "profiler.h"

#define MAX_PROF 16

struct slot {
    const struct aib_prof_ops *ops;
    void *state;
    int started;
    char failed[128]; /* why it is not measuring: open/start failed */
};

struct aib_profilers {
    struct aib_prof_opts opts;
    char root[1024], metrics[1024], nvml_lib[1024];
    const struct aib_prof_ops *sel[MAX_PROF];
    size_t nsel;
    struct slot slots[MAX_PROF];
    size_t nslots;
    int running;
    double t_start, t_stop; /* CLOCK_MONOTONIC, around the timed samples */
    struct aib_series_set series; /* of the last finished entry */
};

int aib_profilers_parse_interval(const char *v, double *seconds, struct aib_err *err)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end), scale = 1e-3;
    if (end != v && strcmp(end, "ms") == 0)
        end += 2;
    else if (end != v && strcmp(end, "s") == 0) {
        end += 1;
        scale = 1;
    }
    x *= scale;
    if (end == v || *end || errno || !isfinite(x) || x < AIB_PROF_INTERVAL_MIN_S ||
        x > AIB_PROF_INTERVAL_MAX_S)
        return aib_err_set(err, AIB_EUSAGE,
                           "bad value '%s' for --sample-interval: expected milliseconds in "
                           "[%g, %g]",
                           v, AIB_PROF_INTERVAL_MIN_S * 1e3, AIB_PROF_INTERVAL_MAX_S * 1e3);
    *seconds = x;
    return 0;
}

static int select_names(struct aib_profilers *p, const char *names, struct aib_err *err)
{
    size_t n;
    const struct aib_prof_ops *const *all = aib_prof_registry(&n);
    bool want[MAX_PROF] = {false};
    if (n > MAX_PROF)
        return aib_err_set(err, AIB_ERUN, "more than %d profilers registered", MAX_PROF);
    if (!names || strcmp(names, "all") == 0) {
        for (size_t i = 0; i < n; i++)
            want[i] = true;
    } else if (strcmp(names, "none") != 0) {
        for (const char *s = names;; s++) {
            size_t len = strcspn(s, ","), i = 0;
            while (i < n && !(strlen(all[i]->name) == len && strncmp(all[i]->name, s, len) == 0))
                i++;
            if (i == n) {
                char known[128] = "";
                for (size_t k = 0; k < n; k++)
                    snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                             k ? ", " : "", all[k]->name);
                return aib_err_set(err, AIB_EUSAGE,
                                   "unknown profiler '%.*s' in --profilers (known: %s; or all, "
                                   "none)",
                                   (int)(len < 64 ? len : 64), s, known);
            }
            want[i] = true;
            s += len;
            if (!*s)
                break;
        }
    }
    /* The registry's order, whatever the order given. */
    for (size_t i = 0; i < n; i++)
        if (want[i])
            p->sel[p->nsel++] = all[i];
    return 0;
}

void aib_profilers_help(FILE *f)
{
    size_t n;
    const struct aib_prof_ops *const *all = aib_prof_registry(&n);
    for (size_t i = 0; i < n; i++) {
        /* A device of the first kind it applies to: the probes look only at the kind. */
        unsigned k = all[i]->devices & -all[i]->devices;
        struct aib_device d = {.kind = (enum aib_device_kind)k};
        char why[160] = "";
        int ok = all[i]->probe(&d, NULL, why, sizeof why);
        fprintf(f, "  %-7s %s\n", all[i]->name, all[i]->summary);
        if (ok)
            fprintf(f, "          here: usable%s%s%s\n", why[0] ? " (" : "", why, why[0] ? ")" : "");
        else
            fprintf(f, "          here: unavailable: %s\n", why);
    }
}

int aib_profilers_new(const char *names, const struct aib_prof_opts *o,
                      struct aib_profilers **out, struct aib_err *err)
{
    *out = NULL;
    int rc = aib_prof_registry_check(err);
    if (rc)
        return rc;
    struct aib_profilers *p = calloc(1, sizeof *p);
    if (!p)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    p->opts.interval_s = AIB_PROF_INTERVAL_DEFAULT_S;
    if (o) {
        p->opts = *o;
        if (!(o->interval_s >= AIB_PROF_INTERVAL_MIN_S && o->interval_s <= AIB_PROF_INTERVAL_MAX_S)) {
            rc = aib_err_set(err, AIB_EUSAGE, "sampling interval %g s is out of range [%g, %g]",
                             o->interval_s, AIB_PROF_INTERVAL_MIN_S, AIB_PROF_INTERVAL_MAX_S);
            goto cleanup;
        }
        /* Own copies: the caller's strings need not outlive the call. */
        snprintf(p->root, sizeof p->root, "%s", o->root ? o->root : "");
        snprintf(p->metrics, sizeof p->metrics, "%s", o->metrics ? o->metrics : "");
        snprintf(p->nvml_lib, sizeof p->nvml_lib, "%s", o->nvml_lib ? o->nvml_lib : "");
        p->opts.root = p->root;
        p->opts.metrics = o->metrics ? p->metrics : NULL;
        p->opts.nvml_lib = o->nvml_lib ? p->nvml_lib : NULL;
    }
    rc = select_names(p, names, err);
cleanup:
    if (rc)
        free(p);
    else
        *out = p;
    return rc;
}

static void close_all(struct aib_profilers *p)
{
    for (size_t i = p->nslots; i-- > 0;)
        if (p->slots[i].state)
            p->slots[i].ops->close(p->slots[i].state);
    memset(p->slots, 0, sizeof p->slots);
    p->nslots = 0;
    p->running = 0;
}

void aib_profilers_free(struct aib_profilers *p)
{
    if (!p)
        return;
    close_all(p);
    aib_series_free(&p->series);
    free(p);
}

int aib_profilers_open(struct aib_profilers *p, const struct aib_device *dev, struct aib_err *err)
{
    if (!p)
        return 0;
    close_all(p); /* a previous entry that was never finished */
    for (size_t i = 0; i < p->nsel; i++) {
        const struct aib_prof_ops *o = p->sel[i];
        if (!(o->devices & dev->kind))
            continue;
        struct slot *s = &p->slots[p->nslots++];
        s->ops = o;
        struct aib_err e = {0};
        int rc = o->open(dev, &p->opts, &s->state, &e);
        if (rc == AIB_ENOMEM) {
            close_all(p);
            return aib_err_set(err, rc, "profiler %s: %s", o->name, e.msg);
        }
        if (rc) {
            s->state = NULL;
            snprintf(s->failed, sizeof s->failed, "%.120s", e.msg[0] ? e.msg : "cannot open");
        }
    }
    return 0;
}

void aib_profilers_start(struct aib_profilers *p)
{
    if (!p || p->running)
        return;
    p->t_start = aib_now_mono();
    for (size_t i = 0; i < p->nslots; i++) {
        struct slot *s = &p->slots[i];
        struct aib_err e = {0};
        if (!s->state)
            continue;
        if (s->ops->start(s->state, &e))
            snprintf(s->failed, sizeof s->failed, "cannot start: %.100s", e.msg);
        else
            s->started = 1;
    }
    p->running = 1;
}

void aib_profilers_stop(struct aib_profilers *p)
{
    if (!p || !p->running)
        return;
    for (size_t i = p->nslots; i-- > 0;) {
        struct slot *s = &p->slots[i];
        struct aib_err e = {0};
        if (s->started && s->ops->stop(s->state, &e))
            snprintf(s->failed, sizeof s->failed, "cannot stop: %.100s", e.msg);
    }
    p->t_stop = aib_now_mono();
    p->running = 0;
}

/* A profiler's values under its name: "perf" + "cycles" -> "perf.cycles". */
static int merge(struct aib_prof_values *all, const char *prefix, const struct aib_prof_values *v)
{
    for (size_t i = 0; i < v->len; i++) {
        const struct aib_prof_value *x = &v->items[i];
        char name[64];
        snprintf(name, sizeof name, "%s.%s", prefix, x->name);
        if (aib_prof_values_set(all, name, x->kind, x->value, x->unit, x->valid, "%s", x->note))
            return AIB_ENOMEM;
    }
    return 0;
}

/* Reads every slot into `all` and its series into p->series. */
static int read_all(struct aib_profilers *p, struct aib_prof_values *all, struct aib_err *err)
{
    for (size_t i = 0; i < p->nslots; i++) {
        struct slot *s = &p->slots[i];
        struct aib_prof_values v = {0};
        struct aib_err e = {0};
        int rc = 0;
        if (!s->failed[0] && s->started) {
            rc = s->ops->read(s->state, &v, &e);
            if (rc == 0 && s->ops->series)
                rc = s->ops->series(s->state, &p->series, &e);
        } else if (!s->failed[0]) {
            snprintf(s->failed, sizeof s->failed, "not started (the entry ended before its timed samples)");
        }
        if (rc == AIB_ENOMEM || merge(all, s->ops->name, &v)) {
            aib_prof_values_free(&v);
            return aib_err_set(err, AIB_ENOMEM, "out of memory reading profiler %s", s->ops->name);
        }
        aib_prof_values_free(&v);
        if (rc)
            snprintf(s->failed, sizeof s->failed, "cannot read: %.100s", e.msg);
        if (s->failed[0] &&
            aib_prof_values_set(all, s->ops->name, AIB_PV_LEVEL, 0, "", 0, "%s", s->failed))
            return aib_err_set(err, AIB_ENOMEM, "out of memory");
    }
    return 0;
}

/* The values as result metrics, totals also per iteration. */
static int to_metrics(const struct aib_prof_values *all, double iters, struct aib_result *r)
{
    for (size_t i = 0; i < all->len; i++) {
        const struct aib_prof_value *x = &all->items[i];
        if (aib_result_set_metric(r, x->name, x->value, x->unit, x->valid, x->note))
            return AIB_ENOMEM;
        if (x->kind == AIB_PV_TOTAL && x->valid && iters > 0) {
            char name[64];
            snprintf(name, sizeof name, "%s/iter", x->name);
            if (aib_result_set_metric(r, name, x->value / iters, x->unit, 1, NULL))
                return AIB_ENOMEM;
        }
    }
    return 0;
}

int aib_profilers_finish(struct aib_profilers *p, const struct aib_device *dev,
                         struct aib_result *r, int keep, struct aib_err *err)
{
    if (!p)
        return 0;
    struct aib_prof_values all = {0};
    int rc = 0;
    aib_profilers_stop(p);
    aib_series_free(&p->series);
    if (keep) {
        double iters = (double)r->nsamples * (double)r->iters_per_sample;
        double region = p->t_stop - p->t_start;
        if ((rc = read_all(p, &all, err)))
            goto cleanup;
        if (to_metrics(&all, iters, r)) {
            rc = aib_err_set(err, AIB_ENOMEM, "out of memory storing profiler values");
            goto cleanup;
        }
        rc = aib_prof_derive(dev, &all, region > 0 ? region : NAN, r, err);
    }
cleanup:
    if (rc || !keep)
        aib_series_free(&p->series);
    aib_prof_values_free(&all);
    close_all(p);
    return rc;
}

int aib_profilers_take_series(struct aib_profilers *p, struct aib_series_set *out)
{
    if (!p)
        return 0;
    return aib_series_move(out, &p->series);
}
