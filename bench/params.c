#include "params.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const struct aib_param *aib_params_find(const struct aib_param_set *ps, const char *key)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->decl[i].name, key) == 0)
            return &ps->decl[i];
    return NULL;
}

/* Index of `value` in "a|b|c", or -1. */
static int enum_index(const char *choices, const char *value)
{
    size_t vl = strlen(value);
    int idx = 0;
    for (const char *p = choices; *p; idx++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vl && strncmp(p, value, len) == 0)
            return idx;
        if (!bar)
            break;
        p = bar + 1;
    }
    return -1;
}

const char *aib_params_enum_name(const struct aib_param *d, int idx, char *buf, size_t len)
{
    const char *p = d->choices;
    for (int i = 0; p && i < idx; i++) {
        p = strchr(p, '|');
        if (p)
            p++;
    }
    if (!p || len == 0)
        return "?";
    size_t n = strcspn(p, "|");
    if (n >= len)
        n = len - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

static int parse_int(const struct aib_param *d, const char *v, bool size, int64_t *out)
{
    errno = 0;
    char *end;
    long long x = strtoll(v, &end, 10);
    if (end == v || errno == ERANGE)
        return -1;
    long long mul = 1;
    if (size && *end) {
        switch (*end) {
        case 'k': case 'K': mul = 1LL << 10; break;
        case 'm': case 'M': mul = 1LL << 20; break;
        case 'g': case 'G': mul = 1LL << 30; break;
        case 't': case 'T': mul = 1LL << 40; break;
        default: return -1;
        }
        end++;
        if (*end == 'i' || *end == 'I')
            end++;
        if (*end == 'b' || *end == 'B')
            end++;
    }
    if (*end)
        return -1;
    if (x != 0 && (x > INT64_MAX / mul || x < INT64_MIN / mul))
        return -1;
    (void)d;
    *out = (int64_t)(x * mul);
    return 0;
}

int aib_params_set(const struct aib_param_set *ps, void *out, const char *key, const char *value,
                   struct aib_err *err)
{
    const struct aib_param *d = aib_params_find(ps, key);
    if (!d) {
        char known[256] = "";
        for (size_t i = 0; i < ps->n; i++) {
            if (i)
                strncat(known, ", ", sizeof known - strlen(known) - 1);
            strncat(known, ps->decl[i].name, sizeof known - strlen(known) - 1);
        }
        return aib_err_set(err, AIB_EUSAGE, "unknown parameter '%s' for %s (known: %s)", key,
                           ps->owner, known);
    }
    char *field = (char *)out + d->offset;
    switch (d->type) {
    case AIB_PT_INT:
    case AIB_PT_SIZE: {
        int64_t x;
        if (parse_int(d, value, d->type == AIB_PT_SIZE, &x) != 0)
            return aib_err_set(err, AIB_EUSAGE, "bad value '%s' for %s: expected %s", value, key,
                               d->type == AIB_PT_SIZE ? "a size such as 4096, 64k or 1G"
                                                      : "an integer");
        if ((double)x < d->min || (double)x > d->max)
            return aib_err_set(err, AIB_EUSAGE, "%s=%s is out of range [%.0f, %.0f]", key, value,
                               d->min, d->max);
        memcpy(field, &x, sizeof x);
        return 0;
    }
    case AIB_PT_DOUBLE: {
        errno = 0;
        char *end;
        double x = strtod(value, &end);
        if (end == value || *end || errno == ERANGE || !isfinite(x))
            return aib_err_set(err, AIB_EUSAGE, "bad value '%s' for %s: expected a number", value,
                               key);
        if (x < d->min || x > d->max)
            return aib_err_set(err, AIB_EUSAGE, "%s=%s is out of range [%g, %g]", key, value,
                               d->min, d->max);
        memcpy(field, &x, sizeof x);
        return 0;
    }
    case AIB_PT_ENUM: {
        int idx = enum_index(d->choices, value);
        if (idx < 0)
            return aib_err_set(err, AIB_EUSAGE, "bad value '%s' for %s: expected one of %s",
                               value, key, d->choices);
        memcpy(field, &idx, sizeof idx);
        return 0;
    }
    case AIB_PT_STR:
        if (strlen(value) >= AIB_PARAM_STR_MAX)
            return aib_err_set(err, AIB_EUSAGE, "value for %s is too long (max %d characters)",
                               key, AIB_PARAM_STR_MAX - 1);
        strcpy(field, value);
        return 0;
    }
    return aib_err_set(err, AIB_EUSAGE, "parameter %s has an unknown type", key);
}

int aib_params_defaults(const struct aib_param_set *ps, void *out, struct aib_err *err)
{
    memset(out, 0, ps->size);
    for (size_t i = 0; i < ps->n; i++) {
        int rc = aib_params_set(ps, out, ps->decl[i].name, ps->decl[i].def, err);
        if (rc)
            return rc;
    }
    return 0;
}

static void format_one(const struct aib_param *d, const void *p, char *buf, size_t len)
{
    const char *field = (const char *)p + d->offset;
    switch (d->type) {
    case AIB_PT_INT:
    case AIB_PT_SIZE: {
        int64_t x;
        memcpy(&x, field, sizeof x);
        snprintf(buf, len, "%lld", (long long)x);
        break;
    }
    case AIB_PT_DOUBLE: {
        double x;
        memcpy(&x, field, sizeof x);
        snprintf(buf, len, "%g", x);
        break;
    }
    case AIB_PT_ENUM: {
        int idx;
        memcpy(&idx, field, sizeof idx);
        aib_params_enum_name(d, idx, buf, len);
        break;
    }
    case AIB_PT_STR:
        snprintf(buf, len, "%s", field);
        break;
    }
}

void aib_params_format(const struct aib_param_set *ps, const void *p, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < ps->n && used + 1 < len; i++) {
        char v[AIB_PARAM_STR_MAX];
        format_one(&ps->decl[i], p, v, sizeof v);
        int w = snprintf(buf + used, len - used, "%s%s=%s", i ? "," : "", ps->decl[i].name, v);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

void aib_params_help(const struct aib_param_set *ps, FILE *f)
{
    static const char *const tname[] = {"int", "size", "number", "choice", "string"};
    for (size_t i = 0; i < ps->n; i++) {
        const struct aib_param *d = &ps->decl[i];
        char range[96];
        if (d->type == AIB_PT_ENUM)
            snprintf(range, sizeof range, "%s", d->choices);
        else if (d->type == AIB_PT_STR)
            range[0] = '\0';
        else
            snprintf(range, sizeof range, "%g..%g", d->min, d->max);
        fprintf(f, "    %-12s %-7s default %-8s %-14s %s\n", d->name, tname[d->type], d->def, range,
                d->help);
    }
}
