/* Sampled series in memory, their text summary and their JSON form. */
#include "series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct aib_series *aib_series_add(struct aib_series_set *set, const char *source,
                                  const char *name, const char *unit, double t0)
{
    if (set->len == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        struct aib_series *n = realloc(set->items, cap * sizeof *n);
        if (!n)
            return NULL;
        set->items = n;
        set->cap = cap;
    }
    struct aib_series *s = &set->items[set->len++];
    memset(s, 0, sizeof *s);
    snprintf(s->source, sizeof s->source, "%s", source);
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->unit, sizeof s->unit, "%s", unit ? unit : "");
    s->t0 = t0;
    s->min = s->mean = s->max = NAN;
    return s;
}

struct aib_series *aib_series_get(struct aib_series_set *set, const char *source,
                                  const char *name, const char *unit, double t0)
{
    for (size_t i = 0; i < set->len; i++)
        if (strcmp(set->items[i].source, source) == 0 && strcmp(set->items[i].name, name) == 0)
            return &set->items[i];
    return aib_series_add(set, source, name, unit, t0);
}

int aib_series_push(struct aib_series *s, double t, double v)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        double *nt = realloc(s->t, cap * sizeof *nt);
        if (!nt)
            return AIB_ENOMEM;
        s->t = nt;
        double *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv)
            return AIB_ENOMEM;
        s->v = nv;
        s->cap = cap;
    }
    s->t[s->n] = t;
    s->v[s->n] = v;
    s->n++;
    /* A running mean keeps the summary exact enough without a second pass. */
    if (s->n == 1) {
        s->min = s->max = s->mean = v;
    } else {
        if (v < s->min)
            s->min = v;
        if (v > s->max)
            s->max = v;
        s->mean += (v - s->mean) / (double)s->n;
    }
    return 0;
}

int aib_series_move(struct aib_series_set *dst, struct aib_series_set *src)
{
    if (src->len == 0)
        return 0;
    size_t need = dst->len + src->len;
    if (need > dst->cap) {
        struct aib_series *n = realloc(dst->items, need * sizeof *n);
        if (!n)
            return AIB_ENOMEM;
        dst->items = n;
        dst->cap = need;
    }
    memcpy(dst->items + dst->len, src->items, src->len * sizeof *src->items);
    dst->len = need;
    free(src->items);
    memset(src, 0, sizeof *src);
    return 0;
}

void aib_series_set_result(struct aib_series_set *set, int64_t result_id)
{
    for (size_t i = 0; i < set->len; i++)
        set->items[i].result_id = result_id;
}

void aib_series_free(struct aib_series_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->len; i++) {
        free(set->items[i].t);
        free(set->items[i].v);
    }
    free(set->items);
    memset(set, 0, sizeof *set);
}

/* Values from bytes to percentages: %g keeps both readable. */
static void fmt_val(double v, char *buf, size_t len)
{
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.4g", v);
}

size_t aib_series_count(const struct aib_series_set *set, int64_t result_id)
{
    size_t n = 0;
    for (size_t i = 0; i < set->len; i++)
        n += set->items[i].result_id == result_id;
    return n;
}

void aib_series_print(FILE *f, const struct aib_series_set *set, int64_t result_id)
{
    bool header = false;
    for (size_t i = 0; i < set->len; i++) {
        const struct aib_series *s = &set->items[i];
        if (s->result_id != result_id)
            continue;
        if (!header) {
            fprintf(f, "  %-28s %-8s %6s %11s %11s %11s\n", "SERIES", "UNIT", "COUNT", "MIN",
                    "MEAN", "MAX");
            header = true;
        }
        char name[80], a[32], b[32], c[32];
        snprintf(name, sizeof name, "%s.%s", s->source, s->name);
        fmt_val(s->min, a, sizeof a);
        fmt_val(s->mean, b, sizeof b);
        fmt_val(s->max, c, sizeof c);
        fprintf(f, "  %-28s %-8s %6zu %11s %11s %11s\n", name, s->unit[0] ? s->unit : "-", s->n,
                a, b, c);
    }
}

void aib_series_json(struct aib_json *j, const struct aib_series_set *set)
{
    aib_json_arr_begin(j);
    for (size_t i = 0; i < set->len; i++) {
        const struct aib_series *s = &set->items[i];
        aib_json_obj_begin(j);
        if (s->result_id)
            aib_json_kint(j, "result_id", s->result_id);
        else
            aib_json_kstr(j, "result_id", NULL);
        aib_json_kstr(j, "source", s->source);
        aib_json_kstr(j, "name", s->name);
        aib_json_kstr(j, "unit", s->unit);
        aib_json_knum(j, "t0", s->t0);
        aib_json_kint(j, "count", (int64_t)s->n);
        aib_json_knum(j, "min", s->min);
        aib_json_knum(j, "mean", s->mean);
        aib_json_knum(j, "max", s->max);
        aib_json_key(j, "t");
        aib_json_arr_begin(j);
        for (size_t k = 0; k < s->n; k++)
            aib_json_num(j, s->t[k]);
        aib_json_arr_end(j);
        aib_json_key(j, "v");
        aib_json_arr_begin(j);
        for (size_t k = 0; k < s->n; k++)
            aib_json_num(j, s->v[k]);
        aib_json_arr_end(j);
        aib_json_obj_end(j);
    }
    aib_json_arr_end(j);
}
