/* The Prometheus text exposition writer (see prom.h): families kept in
 * declaration order, series with pre-rendered label sets, rendered in one
 * pass. Naming helpers live in prom_names.c. */
#include "prom.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/err.h"

struct series {
    char *labels; /* "" or {a="x",b="y"}, escaped */
    uint64_t hash;
    double value;
};

struct family {
    char *name, *help;
    enum aib_prom_type type;
    struct series *s;
    size_t n, cap;
};

struct aib_prom {
    struct family *f;
    size_t n, cap;
};

int aib_prom_new(struct aib_prom **out, struct aib_err *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : aib_err_set(err, AIB_ENOMEM, "out of memory");
}

void aib_prom_free(struct aib_prom *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        for (size_t k = 0; k < p->f[i].n; k++)
            free(p->f[i].s[k].labels);
        free(p->f[i].s);
        free(p->f[i].name);
        free(p->f[i].help);
    }
    free(p->f);
    free(p);
}

static struct family *find(const struct aib_prom *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->f[i].name, name) == 0)
            return &p->f[i];
    return NULL;
}

int aib_prom_family(struct aib_prom *p, const char *name, enum aib_prom_type type,
                    const char *help, struct aib_err *err)
{
    const char *why = aib_prom_name_problem(name, type == AIB_PROM_COUNTER);
    if (why)
        return aib_err_set(err, AIB_EUSAGE, "bad metric name '%s': %s", name, why);
    struct family *f = find(p, name);
    if (f) {
        if (f->type != type || strcmp(f->help, help) != 0)
            return aib_err_set(err, AIB_EUSAGE,
                               "metric family '%s' declared twice with another type or help",
                               name);
        return 0;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        struct family *nf = realloc(p->f, cap * sizeof *nf);
        if (!nf)
            return aib_err_set(err, AIB_ENOMEM, "out of memory");
        p->f = nf;
        p->cap = cap;
    }
    f = &p->f[p->n];
    memset(f, 0, sizeof *f);
    f->type = type;
    f->name = strdup(name);
    f->help = strdup(help);
    if (!f->name || !f->help) {
        free(f->name);
        free(f->help);
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    }
    p->n++;
    return 0;
}

/* Renders a label set into a new string; NULL with err set on bad input. */
static char *render_labels(const struct aib_prom_label *l, size_t n, struct aib_err *err)
{
    size_t need = 3; /* braces and NUL */
    for (size_t i = 0; i < n; i++) {
        if (!aib_prom_label_name_ok(l[i].name) || strcmp(l[i].name, "le") == 0 ||
            strcmp(l[i].name, "quantile") == 0) {
            aib_err_set(err, AIB_EUSAGE, "bad label name '%s'", l[i].name ? l[i].name : "");
            return NULL;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(l[k].name, l[i].name) == 0) {
                aib_err_set(err, AIB_EUSAGE, "label '%s' given twice", l[i].name);
                return NULL;
            }
        const char *v = l[i].value ? l[i].value : "";
        need += strlen(l[i].name) + 4 + aib_prom_escape_label(v, NULL, 0);
    }
    char *s = malloc(need);
    if (!s) {
        aib_err_set(err, AIB_ENOMEM, "out of memory");
        return NULL;
    }
    if (n == 0) {
        s[0] = '\0';
        return s;
    }
    size_t at = 0;
    s[at++] = '{';
    for (size_t i = 0; i < n; i++) {
        at += (size_t)snprintf(s + at, need - at, "%s%s=\"", i ? "," : "", l[i].name);
        at += aib_prom_escape_label(l[i].value ? l[i].value : "", s + at, need - at);
        s[at++] = '"';
    }
    s[at++] = '}';
    s[at] = '\0';
    return s;
}

/* FNV-1a: a cheap first test before comparing label strings. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bool family_has(const struct family *f, const char *labels, uint64_t h)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->s[i].hash == h && strcmp(f->s[i].labels, labels) == 0)
            return true;
    return false;
}

bool aib_prom_declared(const struct aib_prom *p, const char *name)
{
    return find(p, name) != NULL;
}

const char *aib_prom_help(const struct aib_prom *p, const char *name)
{
    const struct family *f = find(p, name);
    return f ? f->help : NULL;
}

int aib_prom_set_help(struct aib_prom *p, const char *name, const char *help,
                      struct aib_err *err)
{
    struct family *f = find(p, name);
    if (!f)
        return aib_err_set(err, AIB_EUSAGE, "metric family '%s' was not declared", name);
    char *h = strdup(help);
    if (!h)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    free(f->help);
    f->help = h;
    return 0;
}

bool aib_prom_has(const struct aib_prom *p, const char *family,
                  const struct aib_prom_label *labels, size_t nlabels)
{
    const struct family *f = find(p, family);
    struct aib_err e = {0};
    char *ls = f ? render_labels(labels, nlabels, &e) : NULL;
    bool has = ls && family_has(f, ls, hash_str(ls));
    free(ls);
    return has;
}

int aib_prom_add(struct aib_prom *p, const char *family, const struct aib_prom_label *labels,
                 size_t nlabels, double value, struct aib_err *err)
{
    struct family *f = find(p, family);
    if (!f)
        return aib_err_set(err, AIB_EUSAGE, "metric family '%s' was not declared", family);
    if (f->type == AIB_PROM_COUNTER && (isnan(value) || value < 0))
        return aib_err_set(err, AIB_EUSAGE, "counter '%s' cannot be %g", family, value);
    char *ls = render_labels(labels, nlabels, err);
    if (!ls)
        return err ? err->code : AIB_EUSAGE;
    uint64_t h = hash_str(ls);
    int rc = 0;
    if (family_has(f, ls, h)) {
        rc = aib_err_set(err, AIB_EUSAGE, "duplicate series %s%s", family, ls);
        goto out;
    }
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        struct series *ns = realloc(f->s, cap * sizeof *ns);
        if (!ns) {
            rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
            goto out;
        }
        f->s = ns;
        f->cap = cap;
    }
    f->s[f->n++] = (struct series){.labels = ls, .hash = h, .value = value};
    ls = NULL;
out:
    free(ls);
    return rc;
}

int aib_prom_render(const struct aib_prom *p, char **text, size_t *len, struct aib_err *err)
{
    /* Sized exactly first, then written: no reallocation while formatting. */
    char val[40];
    size_t need = 1;
    for (size_t i = 0; i < p->n; i++) {
        const struct family *f = &p->f[i];
        if (!f->n)
            continue;
        need += 2 * strlen(f->name) + aib_prom_escape_help(f->help, NULL, 0) + 32;
        for (size_t k = 0; k < f->n; k++)
            need += strlen(f->name) + strlen(f->s[k].labels) + sizeof val + 2;
    }
    char *s = malloc(need);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    size_t at = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct family *f = &p->f[i];
        if (!f->n)
            continue;
        at += (size_t)snprintf(s + at, need - at, "# HELP %s ", f->name);
        at += aib_prom_escape_help(f->help, s + at, need - at);
        at += (size_t)snprintf(s + at, need - at, "\n# TYPE %s %s\n", f->name,
                               f->type == AIB_PROM_COUNTER ? "counter" : "gauge");
        for (size_t k = 0; k < f->n; k++) {
            aib_prom_format_value(f->s[k].value, val, sizeof val);
            at += (size_t)snprintf(s + at, need - at, "%s%s %s\n", f->name, f->s[k].labels, val);
        }
    }
    s[at] = '\0';
    *text = s;
    *len = at;
    return 0;
}
