#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void aib_engine_opts_default(struct aib_engine_opts *o)
{
    o->warmup_s = 0.2;
    o->min_time_s = 0.5;
    o->max_time_s = 5.0;
    o->min_reps = 10;
    o->target_ci = 0.01;
}

void aib_pspec_free(struct aib_pspec *p)
{
    for (size_t i = 0; i < p->nvalues; i++)
        free(p->values[i]);
    free(p->values);
    p->values = NULL;
    p->nvalues = 0;
}

int aib_pspec_parse(const char *kv, const char *where, struct aib_pspec *out, struct aib_err *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->where, sizeof out->where, "%s", where ? where : "command line");
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return aib_err_set(err, AIB_EUSAGE, "bad parameter '%s': expected KEY=VALUE[,VALUE...]",
                           kv);
    size_t klen = (size_t)(eq - kv);
    if (klen >= sizeof out->key)
        return aib_err_set(err, AIB_EUSAGE, "parameter name too long in '%s'", kv);
    memcpy(out->key, kv, klen);
    out->key[klen] = '\0';
    const char *p = eq + 1;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 0) {
            aib_pspec_free(out);
            return aib_err_set(err, AIB_EUSAGE, "empty value for parameter '%s' in '%s'",
                               out->key, kv);
        }
        char **nv = realloc(out->values, (out->nvalues + 1) * sizeof *nv);
        if (!nv)
            goto nomem;
        out->values = nv;
        out->values[out->nvalues] = strndup(p, len);
        if (!out->values[out->nvalues])
            goto nomem;
        out->nvalues++;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    return 0;
nomem:
    aib_pspec_free(out);
    return aib_err_set(err, AIB_ENOMEM, "out of memory");
}

static int push_entry(struct aib_plan *plan, struct aib_plan_entry *e)
{
    if (plan->len == plan->cap) {
        size_t cap = plan->cap ? plan->cap * 2 : 16;
        struct aib_plan_entry *n = realloc(plan->items, cap * sizeof *n);
        if (!n)
            return AIB_ENOMEM;
        plan->items = n;
        plan->cap = cap;
    }
    plan->items[plan->len++] = *e;
    return 0;
}

int aib_plan_add_sweep(struct aib_plan *plan, const struct aib_workload_ops *w,
                       const struct aib_device *dev, const struct aib_pspec *specs, size_t nspecs,
                       const char *where, struct aib_err *err)
{
    size_t total = 1;
    for (size_t i = 0; i < nspecs; i++) {
        if (!aib_params_find(&w->params, specs[i].key)) {
            aib_params_set(&w->params, NULL, specs[i].key, "", err);
            return aib_err_prefix(err, "%s", specs[i].where);
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(specs[j].key, specs[i].key) == 0)
                return aib_err_set(err, AIB_EUSAGE, "%s: parameter '%s' given twice",
                                   specs[i].where, specs[i].key);
        total *= specs[i].nvalues;
        if (total > 100000)
            return aib_err_set(err, AIB_EUSAGE, "%s: the sweep expands to more than 100000 entries",
                               where);
    }
    size_t *idx = calloc(nspecs ? nspecs : 1, sizeof *idx);
    if (!idx)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t c = 0; c < total; c++) {
        struct aib_plan_entry e = {.w = w, .dev = dev};
        snprintf(e.where, sizeof e.where, "%s", where);
        e.params = malloc(w->params.size);
        if (!e.params) {
            rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
            goto out;
        }
        rc = aib_params_defaults(&w->params, e.params, err);
        /* The last spec varies fastest, like nested loops in the order given. */
        for (size_t i = 0; rc == 0 && i < nspecs; i++) {
            rc = aib_params_set(&w->params, e.params, specs[i].key, specs[i].values[idx[i]], err);
            if (rc)
                aib_err_prefix(err, "%s", specs[i].where);
        }
        if (rc == 0 && w->validate) {
            rc = w->validate(dev, e.params, err);
            if (rc)
                aib_err_prefix(err, "%s on %s", w->name, dev->id);
        }
        if (rc == 0) {
            aib_params_format(&w->params, e.params, e.params_str, sizeof e.params_str);
            rc = push_entry(plan, &e);
            if (rc)
                aib_err_set(err, rc, "out of memory");
        }
        if (rc) {
            free(e.params);
            goto out;
        }
        for (size_t i = nspecs; i-- > 0;) {
            if (++idx[i] < specs[i].nvalues)
                break;
            idx[i] = 0;
        }
    }
out:
    free(idx);
    return rc;
}

int aib_plan_note(struct aib_plan *plan, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **n = realloc(plan->notes, (plan->nnotes + 1) * sizeof *n);
    if (!n)
        return AIB_ENOMEM;
    plan->notes = n;
    plan->notes[plan->nnotes] = strdup(buf);
    if (!plan->notes[plan->nnotes])
        return AIB_ENOMEM;
    plan->nnotes++;
    return 0;
}

void aib_plan_free(struct aib_plan *plan)
{
    for (size_t i = 0; i < plan->len; i++)
        free(plan->items[i].params);
    free(plan->items);
    for (size_t i = 0; i < plan->nnotes; i++)
        free(plan->notes[i]);
    free(plan->notes);
    plan->items = NULL;
    plan->notes = NULL;
    plan->len = plan->cap = plan->nnotes = 0;
}

int aib_devices_select(const struct aib_devlist *devs, const char *sel, unsigned kinds_mask,
                       const struct aib_device **out, size_t max, struct aib_err *err)
{
    unsigned kind = 0;
    bool wildcard = false;
    if (strcmp(sel, "all") == 0) {
        kind = AIB_DEV_ALL;
        wildcard = true;
    } else {
        kind = aib_device_kind_of_id(sel);
        if (!kind)
            return aib_err_set(err, AIB_EUSAGE,
                               "unknown device '%s' (use cpu, cuda:N, opencl:P:D, cuda:*, "
                               "opencl:* or all; see `aibench devices`)",
                               sel);
        const char *colon = strchr(sel, ':');
        wildcard = colon && strcmp(colon, ":*") == 0;
        /* "cpu" alone names the whole machine, not every NUMA node. */
        if (!colon && kind != AIB_DEV_CPU)
            wildcard = true;
    }
    size_t n = 0;
    for (size_t i = 0; i < devs->len; i++) {
        const struct aib_device *d = &devs->items[i];
        if (!(d->kind & kind & kinds_mask))
            continue;
        bool match = wildcard ? (d->kind != AIB_DEV_CPU || strcmp(d->id, "cpu") == 0)
                              : strcmp(d->id, sel) == 0;
        if (match && n < max)
            out[n++] = d;
    }
    return (int)n;
}
