/* Every profiler, one line each, and the value list they fill. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cupti.h"
#include "profiler.h"

/* Opening order matters: profilers that sample on their own thread (system,
 * nvml) come before perf, whose counters follow threads created after they
 * are opened (inherit), so the samplers' own work is never counted as the
 * workload's. They are started in this order and stopped in reverse, so the
 * counters run over the shortest span around the timed samples. cupti
 * (its PM-sampling thread lives in the CUDA plugin) comes first: it stops
 * last, so its replays of the work run after every other profiler stopped. */
static const struct aib_prof_ops *const profilers[] = {
    &aib_prof_cupti,
    &aib_prof_system,
    &aib_prof_nvml,
    &aib_prof_rapl,
    &aib_prof_perf,
};

const struct aib_prof_ops *const *aib_prof_registry(size_t *n)
{
    *n = sizeof profilers / sizeof profilers[0];
    return profilers;
}

const struct aib_prof_ops *aib_prof_find(const char *name)
{
    for (size_t i = 0; i < sizeof profilers / sizeof profilers[0]; i++)
        if (strcmp(profilers[i]->name, name) == 0)
            return profilers[i];
    return NULL;
}

int aib_prof_registry_check(struct aib_err *err)
{
    size_t n = sizeof profilers / sizeof profilers[0];
    for (size_t i = 0; i < n; i++) {
        const struct aib_prof_ops *p = profilers[i];
        if (p->abi != AIB_PROFILER_ABI)
            return aib_err_set(err, AIB_ERUN, "profiler %s: abi %d, expected %d", p->name, p->abi,
                               AIB_PROFILER_ABI);
        if (!p->name || !p->probe || !p->open || !p->start || !p->stop || !p->read || !p->close ||
            !p->devices)
            return aib_err_set(err, AIB_ERUN, "profiler %s: a required hook is missing",
                               p->name ? p->name : "(unnamed)");
        for (size_t j = 0; j < i; j++)
            if (strcmp(profilers[j]->name, p->name) == 0)
                return aib_err_set(err, AIB_ERUN, "profiler %s registered twice", p->name);
    }
    return 0;
}

/* --- values ---------------------------------------------------------------- */

int aib_prof_values_set(struct aib_prof_values *v, const char *name, enum aib_pv_kind kind,
                        double value, const char *unit, int valid, const char *note_fmt, ...)
{
    struct aib_prof_value *x = NULL;
    for (size_t i = 0; i < v->len; i++)
        if (strcmp(v->items[i].name, name) == 0)
            x = &v->items[i];
    if (!x) {
        if (v->len == v->cap) {
            size_t cap = v->cap ? v->cap * 2 : 16;
            struct aib_prof_value *n = realloc(v->items, cap * sizeof *n);
            if (!n)
                return AIB_ENOMEM;
            v->items = n;
            v->cap = cap;
        }
        x = &v->items[v->len++];
    }
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", name);
    snprintf(x->unit, sizeof x->unit, "%s", unit ? unit : "");
    x->kind = kind;
    x->valid = valid != 0;
    x->value = valid ? value : 0.0;
    if (note_fmt) {
        va_list ap;
        va_start(ap, note_fmt);
        vsnprintf(x->note, sizeof x->note, note_fmt, ap);
        va_end(ap);
    }
    return 0;
}

const struct aib_prof_value *aib_prof_values_get(const struct aib_prof_values *v,
                                                 const char *name)
{
    for (size_t i = 0; i < v->len; i++)
        if (strcmp(v->items[i].name, name) == 0)
            return &v->items[i];
    return NULL;
}

void aib_prof_values_free(struct aib_prof_values *v)
{
    if (!v)
        return;
    free(v->items);
    memset(v, 0, sizeof *v);
}
