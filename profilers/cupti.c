/* The cupti profiler: GPU counters of a CUDA entry through the CUDA
 * plugin's CUPTI session (cuda/cupti_session.cu). PM samples become series
 * "cupti.*"; the Range Profiler's values (over a replay of one timed
 * sample's iterations, after the timed samples) become metrics
 * "cupti.<metric>" and, for sums, "cupti.<metric>/iter"; the kernel trace
 * becomes "cupti.kernel.N" (per iteration, longest first). The replayed
 * region's times are never the result's timing: only the counters are kept,
 * with the passes and iterations in their notes. Without a plugin or CUPTI
 * every value is missing with the reason. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../devices/cuda.h"
#include "cupti.h"

#define TOP_KERNELS 5
/* "cupti." + name + "/iter" must fit a 47-character metric name. */
#define NAME_SUM 36
#define NAME_LEVEL 41
#define NAME_SERIES 47

struct cupti_state {
    const struct aib_cuda_plugin *pl;
    struct aib_cupti_session *s;
    struct aib_cupti_sets sets; /* the range set is filled with the defaults when none was given */
    char absent[512];           /* why nothing can be measured ("" when the session is open) */
};

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

/* The default range set from the plugin, split into sets->range. */
static int fill_defaults(struct cupti_state *st, struct aib_err *err)
{
    if (st->sets.n_range || !st->pl)
        return 0;
    struct aib_cupti_sets d;
    struct aib_err e = {0};
    if (aib_cupti_parse_metrics(st->pl->cupti_defaults(AIB_CUPTI_RANGE), &d, &e))
        return e.code == AIB_ENOMEM ? aib_err_set(err, AIB_ENOMEM, "out of memory") : 0;
    st->sets.range = d.range;
    st->sets.n_range = d.n_range;
    for (size_t i = 0; i < d.n_pm; i++)
        free(d.pm[i]);
    free(d.pm);
    return 0;
}

static void cupti_close(void *state)
{
    struct cupti_state *st = state;
    if (!st)
        return;
    if (st->s)
        st->pl->cupti_close(st->s);
    aib_cupti_sets_free(&st->sets);
    free(st);
}

static int cupti_open(const struct aib_device *dev, const struct aib_prof_opts *o, void **state,
                      struct aib_err *err)
{
    struct cupti_state *st = calloc(1, sizeof *st);
    struct aib_err e = {0};
    int rc = 0;
    if (!st)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    st->pl = aib_cuda_plugin_of(dev);
    /* The names first: each is reported, measured or missing. */
    if (o && o->metrics && aib_cupti_parse_metrics(o->metrics, &st->sets, &e)) {
        if (e.code == AIB_ENOMEM) {
            rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
            goto cleanup;
        }
        snprintf(st->absent, sizeof st->absent, "%s", e.msg);
    } else if (!st->pl) {
        snprintf(st->absent, sizeof st->absent, "no CUDA device (the CUDA plugin is not loaded for %s)", dev->id);
    } else {
        struct aib_cupti_config cfg = {
            .range = (const char *const *)st->sets.range,
            .n_range = st->sets.n_range,
            .pm = (const char *const *)st->sets.pm,
            .n_pm = st->sets.n_pm,
            .interval_s = o && o->interval_s > 0 ? o->interval_s : AIB_PROF_INTERVAL_DEFAULT_S,
        };
        char why[512] = "";
        if (st->pl->cupti_open(dev->index, &cfg, &st->s, why, sizeof why) != 0)
            snprintf(st->absent, sizeof st->absent, "%s", why[0] ? why : "CUPTI session failed");
    }
    rc = fill_defaults(st, err);
cleanup:
    if (rc) {
        cupti_close(st);
        return rc;
    }
    *state = st;
    return 0;
}

static int cupti_start(void *state, struct aib_err *err)
{
    struct cupti_state *st = state;
    char why[512] = "";
    if (st->s && st->pl->cupti_start(st->s, why, sizeof why))
        return aib_err_set(err, AIB_ERUN, "%s", why);
    return 0;
}

static int cupti_stop(void *state, struct aib_err *err)
{
    struct cupti_state *st = state;
    char why[512] = "";
    if (st->s && st->pl->cupti_stop(st->s, why, sizeof why))
        return aib_err_set(err, AIB_ERUN, "%s", why);
    return 0;
}

/* The Range Profiler's values: each configured metric, measured or missing. */
static int read_range(const struct cupti_state *st, const struct aib_cupti_report *r,
                      struct aib_prof_values *out)
{
    const char *why = st->absent[0] ? st->absent : r->range_missing;
    int rc = 0;
    for (size_t i = 0; i < st->sets.n_range && !rc; i++) {
        const char *full = st->sets.range[i];
        int sum = ends_with(full, ".sum");
        char name[64], unit[16];
        int cut = aib_cupti_short_name(full, sum ? NAME_SUM : NAME_LEVEL, name, sizeof name);
        const struct aib_cupti_value *v = NULL;
        for (size_t k = 0; !why && k < r->n_range; k++)
            if (strcmp(r->range[k].name, full) == 0)
                v = &r->range[k];
        if (!v) {
            rc = aib_prof_values_set(out, name, AIB_PV_LEVEL, 0, "", 0, "%s%s%s", cut ? full : "",
                                     cut ? ": " : "", why ? why : "not in the range profiler's report");
            continue;
        }
        double scale;
        aib_cupti_unit(v->unit, unit, sizeof unit, &scale);
        rc = aib_prof_values_set(out, name, AIB_PV_LEVEL, v->value * scale, unit, 1,
                                 "%s%srange profiler: %zu pass%s, replay of %llu iters, not the timed samples",
                                 cut ? full : "", cut ? "; " : "", r->passes, r->passes == 1 ? "" : "es",
                                 (unsigned long long)r->iters);
        if (!rc && sum && r->iters > 0) {
            char per[72];
            snprintf(per, sizeof per, "%s/iter", name);
            rc = aib_prof_values_set(out, per, AIB_PV_LEVEL, v->value * scale / (double)r->iters, unit, 1,
                                     "%s%sper iteration of the range profiler's replay", cut ? full : "",
                                     cut ? "; " : "");
        }
    }
    if (!rc)
        rc = aib_prof_values_set(out, "range_passes", AIB_PV_LEVEL, (double)r->passes, "", !why, "%s",
                                 why ? why : "replays of the work the metric set needed");
    if (!rc)
        rc = aib_prof_values_set(out, "range_dropped", AIB_PV_LEVEL, (double)r->dropped_ranges, "", !why,
                                 "%s", why ? why : "ranges CUPTI dropped (0: the values cover the whole replay)");
    return rc;
}

/* The kernel trace: how many kernels, and the longest ones per iteration. */
static int read_trace(const struct cupti_state *st, const struct aib_cupti_report *r,
                      struct aib_prof_values *out)
{
    const char *why = st->absent[0] ? st->absent : r->trace_missing;
    double it = r->iters > 0 ? (double)r->iters : 1;
    int rc = aib_prof_values_set(out, "kernels", AIB_PV_LEVEL, why ? 0 : (double)r->n_kernels, "", !why, "%s",
                                 why ? why : "distinct kernels in a traced replay of one timed sample");
    if (why || rc)
        return rc;
    double total = 0;
    for (size_t i = 0; i < r->n_kernels; i++)
        total += r->kernels[i].total_s;
    rc = aib_prof_values_set(out, "kernel_launches/iter", AIB_PV_LEVEL, (double)r->launches / it, "", 1,
                             "activity trace, replay of %llu iters; %llu records dropped",
                             (unsigned long long)r->iters, (unsigned long long)r->dropped_records);
    if (!rc)
        rc = aib_prof_values_set(out, "kernel_time/iter", AIB_PV_LEVEL, total / it, "s", 1,
                                 "sum of kernel durations per iteration (activity trace)");
    for (size_t i = 0; i < r->n_kernels && i < TOP_KERNELS && !rc; i++) {
        const struct aib_cupti_kernel *k = &r->kernels[i];
        char name[32];
        snprintf(name, sizeof name, "kernel.%zu", i + 1);
        rc = aib_prof_values_set(out, name, AIB_PV_LEVEL, k->total_s / it, "s", 1,
                                 "%.3g launches/iter, mean %.3g us: %s", (double)k->launches / it,
                                 k->launches ? k->total_s / (double)k->launches * 1e6 : 0.0, k->name);
    }
    return rc;
}

static int cupti_read(void *state, struct aib_prof_values *out, struct aib_err *err)
{
    struct cupti_state *st = state;
    static const struct aib_cupti_report none = {0};
    const struct aib_cupti_report *r = st->s ? st->pl->cupti_report(st->s) : NULL;
    if (!r)
        r = &none;
    const char *pm_why = st->absent[0] ? st->absent : r->pm_missing;
    int rc = read_range(st, r, out);
    if (!rc)
        rc = read_trace(st, r, out);
    if (!rc && pm_why)
        rc = aib_prof_values_set(out, "pm_samples", AIB_PV_LEVEL, 0, "", 0, "%s", pm_why);
    else if (!rc)
        rc = aib_prof_values_set(out, "pm_samples", AIB_PV_LEVEL, (double)r->pm_samples, "", 1,
                                 "PM sampling on %s every %g ms (series cupti.*), %zu lost", r->chip,
                                 r->interval_s * 1e3, r->pm_lost);
    return rc ? aib_err_set(err, AIB_ENOMEM, "out of memory") : 0;
}

static int cupti_series(void *state, struct aib_series_set *out, struct aib_err *err)
{
    struct cupti_state *st = state;
    const struct aib_cupti_report *r = st->s ? st->pl->cupti_report(st->s) : NULL;
    if (!r || r->pm_missing)
        return 0;
    for (size_t i = 0; i < r->n_pm; i++) {
        const struct aib_cupti_value *v = &r->pm[i];
        char name[64], unit[16];
        double scale;
        aib_cupti_short_name(v->name, NAME_SERIES, name, sizeof name);
        aib_cupti_unit(v->unit, unit, sizeof unit, &scale);
        struct aib_series *s = aib_series_get(out, "cupti", name, unit, r->pm_t0);
        if (!s)
            return aib_err_set(err, AIB_ENOMEM, "out of memory");
        for (size_t k = 0; k < v->n; k++)
            if (aib_series_push(s, v->t[k], v->v[k] * scale))
                return aib_err_set(err, AIB_ENOMEM, "out of memory");
    }
    return 0;
}

static int cupti_probe(const struct aib_device *dev, const struct aib_prof_opts *o, char *why, size_t len)
{
    (void)o;
    const struct aib_cuda_plugin *pl = aib_cuda_plugin_of(dev);
    if (!pl) {
        snprintf(why, len, "no CUDA device");
        return 0;
    }
    char where[512] = "", e[512] = "";
    if (pl->cupti_load(where, sizeof where, e, sizeof e)) {
        snprintf(why, len, "%s", e);
        return 0;
    }
    snprintf(why, len, "%s", where);
    return 1;
}

const struct aib_prof_ops aib_prof_cupti = {
    .name = "cupti",
    .abi = AIB_PROFILER_ABI,
    .devices = AIB_DEV_CUDA,
    .summary = "NVIDIA GPU counters (CUPTI): PM sampling, range profiler and kernel trace on replays",
    .probe = cupti_probe,
    .open = cupti_open,
    .start = cupti_start,
    .stop = cupti_stop,
    .read = cupti_read,
    .series = cupti_series,
    .close = cupti_close,
};

/* --- before a run ------------------------------------------------------------ */

/* Checks the sets against one CUDA device's chip. */
static int check_device(const struct aib_device *dev, const struct aib_cupti_sets *sets, int given,
                        FILE *notes, struct aib_err *err)
{
    const struct aib_cuda_plugin *pl = aib_cuda_plugin_of(dev);
    char where[512] = "", why[512] = "", chip[64] = "";
    if (!pl || pl->cupti_load(where, sizeof where, why, sizeof why) ||
        pl->cupti_device_chip(dev->index, chip, sizeof chip, why, sizeof why)) {
        const char *w = pl ? why : "the CUDA plugin is not loaded for it";
        if (given)
            return aib_err_set(err, AIB_EUSAGE, "--metrics: no CUPTI for %s: %s", dev->id, w);
        if (notes)
            fprintf(notes, "note: CUPTI counters of %s will be missing: %s\n", dev->id, w);
        return 0;
    }
    for (int k = 0; k < 2 && given; k++) {
        char *const *names = k ? sets->pm : sets->range;
        size_t n = k ? sets->n_pm : sets->n_range, passes = 0;
        if (n == 0)
            continue;
        int rc = pl->cupti_check(chip, k ? AIB_CUPTI_PM : AIB_CUPTI_RANGE, (const char *const *)names, n,
                                 &passes, why, sizeof why);
        if (rc)
            return aib_err_set(err, AIB_EUSAGE, "--metrics: %s", why);
        if (k && passes > 1)
            return aib_err_set(err, AIB_EUSAGE,
                               "--metrics: the PM-sampling set (pm:...) needs %zu passes on %s (%s); PM sampling "
                               "takes one (count with: aibench metrics --chip %s --pm --passes LIST)",
                               passes, chip, dev->id, chip);
        if (!k && notes)
            fprintf(notes, "note: %s (%s): the range profiler needs %zu pass%s for %zu metric%s (replays after the "
                           "timed samples)\n",
                    dev->id, chip, passes, passes == 1 ? "" : "es", n, n == 1 ? "" : "s");
    }
    return 0;
}

int aib_cupti_check_run(const char *metrics, const char *profilers, const struct aib_plan *plan,
                        FILE *notes, struct aib_err *err)
{
    struct aib_cupti_sets sets = {0};
    int given = metrics != NULL, rc = 0;
    if (given && (rc = aib_cupti_parse_metrics(metrics, &sets, err)))
        return rc;
    if (!aib_cupti_selected(profilers)) {
        /* An unknown name in --profilers is reported by the profiler session. */
        for (const char *p = profilers; given && p && *p; p += strcspn(p, ","), p += *p == ',') {
            char one[32];
            snprintf(one, sizeof one, "%.*s", (int)strcspn(p, ","), p);
            if (strcmp(one, "none") != 0 && !aib_prof_find(one))
                given = 0;
        }
        if (given)
            rc = aib_err_set(err, AIB_EUSAGE, "--metrics sets the cupti profiler's counters, but --profilers %s "
                                              "leaves it out",
                             profilers);
        goto cleanup;
    }
    const struct aib_device *seen[64];
    size_t nseen = 0;
    for (size_t i = 0; i < plan->len && !rc; i++) {
        const struct aib_device *d = plan->items[i].dev;
        if (d->kind != AIB_DEV_CUDA)
            continue;
        size_t k = 0;
        while (k < nseen && seen[k] != d)
            k++;
        if (k < nseen || nseen == sizeof seen / sizeof seen[0])
            continue;
        seen[nseen++] = d;
        rc = check_device(d, &sets, given, notes, err);
    }
    if (!rc && given && nseen == 0)
        rc = aib_err_set(err, AIB_EUSAGE, "--metrics: CUPTI counters apply to CUDA devices only, and no entry of "
                                          "this run is on one (e.g. -d cuda:0)");
    char why[512];
    if (!rc && nseen && notes && aib_cupti_restricted("/proc/driver/nvidia/params", (unsigned)geteuid(), why,
                                                      sizeof why))
        fprintf(notes, "note: %s\n", why);
cleanup:
    aib_cupti_sets_free(&sets);
    return rc;
}
