/* `aibench import`, first half: reading an "aibench-export" document
 * (docs/export-format.md) into runs, results and series in memory, checking
 * every field on the way. Nothing here touches a database, so a bad file is
 * refused before one is opened. Writing is in import_store.c. */
#include "export.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"

struct ctx {
    const char *text;
    size_t len;
    struct aib_err *err;
};

/* "PATH: what (line L, column C)" for the value v (or, when v is NULL, the
 * object `at` that lacks it). */
static int bad(struct ctx *c, const struct aib_jr_val *v, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad(struct ctx *c, const struct aib_jr_val *v, const char *path, const char *fmt, ...)
{
    char what[256];
    size_t line, col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    aib_jr_linecol(c->text, c->len, v ? v->off : 0, &line, &col);
    return aib_err_set(c->err, AIB_EUSAGE, "%s: %s (line %zu, column %zu)", path, what, line, col);
}

static int nomem(struct ctx *c) { return aib_err_set(c->err, AIB_ENOMEM, "out of memory importing"); }

/* A field path for messages ("runs[0].results[2].stats"); paths are short,
 * and a cut one only shortens a message. */
#define PATH_LEN 192
static void subpath(char *dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void subpath(char *dst, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, PATH_LEN, fmt, ap);
    va_end(ap);
}

/* The member `key` of obj with type `t`; *out NULL when absent and optional. */
static int member(struct ctx *c, const struct aib_jr_val *obj, const char *path, const char *key,
                  enum aib_jr_type t, bool required, const struct aib_jr_val **out)
{
    const struct aib_jr_val *v = aib_jr_get(obj, key);
    *out = v;
    if (!v)
        return required ? bad(c, obj, path, "missing \"%s\"", key) : 0;
    if (v->type != t)
        return bad(c, v, path, "\"%s\" should be %s, not %s", key, aib_jr_type_name(t),
                   aib_jr_type_name(v->type));
    return 0;
}

/* A string member into buf; too long for the field is an error, not a cut. */
static int get_str(struct ctx *c, const struct aib_jr_val *obj, const char *path, const char *key,
                   bool required, char *buf, size_t size)
{
    const struct aib_jr_val *v;
    int rc = member(c, obj, path, key, AIB_JR_STR, required, &v);
    buf[0] = '\0';
    if (rc || !v)
        return rc;
    if (strlen(v->str) >= size)
        return bad(c, v, path, "\"%s\" is longer than %zu bytes", key, size - 1);
    memcpy(buf, v->str, strlen(v->str) + 1);
    return 0;
}

/* A number or null (a figure that was never measured: NaN). */
static double num_or_nan(const struct aib_jr_val *v) { return v->type == AIB_JR_NUM ? v->num : NAN; }

static int get_num(struct ctx *c, const struct aib_jr_val *obj, const char *path, const char *key,
                   double *out)
{
    const struct aib_jr_val *v = aib_jr_get(obj, key);
    if (!v)
        return bad(c, obj, path, "missing \"%s\"", key);
    if (v->type != AIB_JR_NUM && v->type != AIB_JR_NULL)
        return bad(c, v, path, "\"%s\" should be a number or null, not %s", key,
                   aib_jr_type_name(v->type));
    *out = num_or_nan(v);
    return 0;
}

/* A whole number from 0 to max. */
static int get_count(struct ctx *c, const struct aib_jr_val *obj, const char *path,
                     const char *key, double max, uint64_t *out)
{
    const struct aib_jr_val *v;
    int rc = member(c, obj, path, key, AIB_JR_NUM, true, &v);
    if (rc)
        return rc;
    if (v->num < 0 || v->num > max || v->num != floor(v->num))
        return bad(c, v, path, "\"%s\" should be a whole number from 0 to %.0f", key, max);
    *out = (uint64_t)v->num;
    return 0;
}

static int get_nums(struct ctx *c, const struct aib_jr_val *arr, const char *path,
                    const char *key)
{
    for (size_t i = 0; i < arr->n; i++)
        if (arr->items[i].type != AIB_JR_NUM && arr->items[i].type != AIB_JR_NULL)
            return bad(c, &arr->items[i], path, "%s[%zu] should be a number or null, not %s", key,
                       i, aib_jr_type_name(arr->items[i].type));
    return 0;
}

static bool one_of(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

static int nonempty(struct ctx *c, const struct aib_jr_val *obj, const char *path,
                    const char *key, const char *s)
{
    return *s ? 0 : bad(c, aib_jr_get(obj, key), path, "\"%s\" is empty", key);
}

/* --- series ---------------------------------------------------------------------- */

static int read_series(struct ctx *c, const struct aib_jr_val *obj, const char *up,
                       int64_t result_id, struct aib_series_set *set)
{
    const struct aib_jr_val *arr, *t, *v;
    char path[PATH_LEN];
    int rc = member(c, obj, up, "series", AIB_JR_ARR, false, &arr);
    for (size_t i = 0; rc == 0 && arr && i < arr->n; i++) {
        const struct aib_jr_val *x = &arr->items[i];
        char source[16], name[48], unit[16];
        double t0 = NAN, mn = NAN, mean = NAN, mx = NAN;
        subpath(path, "%s.series[%zu]", up, i);
        if (x->type != AIB_JR_OBJ)
            return bad(c, x, path, "should be an object, not %s", aib_jr_type_name(x->type));
        if ((rc = get_str(c, x, path, "source", true, source, sizeof source)) ||
            (rc = nonempty(c, x, path, "source", source)) ||
            (rc = get_str(c, x, path, "name", true, name, sizeof name)) ||
            (rc = nonempty(c, x, path, "name", name)) ||
            (rc = get_str(c, x, path, "unit", true, unit, sizeof unit)) ||
            (rc = get_num(c, x, path, "t0", &t0)) || (rc = get_num(c, x, path, "min", &mn)) ||
            (rc = get_num(c, x, path, "mean", &mean)) || (rc = get_num(c, x, path, "max", &mx)) ||
            (rc = member(c, x, path, "t", AIB_JR_ARR, true, &t)) ||
            (rc = member(c, x, path, "v", AIB_JR_ARR, true, &v)) ||
            (rc = get_nums(c, t, path, "t")) || (rc = get_nums(c, v, path, "v")))
            return rc;
        if (!isfinite(t0))
            return bad(c, aib_jr_get(x, "t0"), path, "\"t0\" should be a number");
        if (t->n != v->n)
            return bad(c, v, path, "\"t\" has %zu points but \"v\" has %zu", t->n, v->n);
        struct aib_series *s = aib_series_add(set, source, name, unit, t0);
        if (!s)
            return nomem(c);
        s->result_id = result_id;
        for (size_t k = 0; k < t->n; k++)
            if (aib_series_push(s, num_or_nan(&t->items[k]), num_or_nan(&v->items[k])))
                return nomem(c);
        /* The summary as stored, like the series table keeps it. */
        s->min = mn;
        s->mean = mean;
        s->max = mx;
    }
    return rc;
}

/* --- results ----------------------------------------------------------------------- */

static int read_metrics(struct ctx *c, const struct aib_jr_val *obj, const char *up,
                        struct aib_result *r)
{
    const struct aib_jr_val *arr;
    char path[PATH_LEN];
    int rc = member(c, obj, up, "metrics", AIB_JR_ARR, true, &arr);
    for (size_t i = 0; rc == 0 && i < arr->n; i++) {
        const struct aib_jr_val *m = &arr->items[i], *valid, *value;
        struct aib_metric tmp;
        subpath(path, "%s.metrics[%zu]", up, i);
        if (m->type != AIB_JR_OBJ)
            return bad(c, m, path, "should be an object, not %s", aib_jr_type_name(m->type));
        if ((rc = get_str(c, m, path, "name", true, tmp.name, sizeof tmp.name)) ||
            (rc = nonempty(c, m, path, "name", tmp.name)) ||
            (rc = get_str(c, m, path, "unit", true, tmp.unit, sizeof tmp.unit)) ||
            (rc = get_str(c, m, path, "note", false, tmp.note, sizeof tmp.note)) ||
            (rc = member(c, m, path, "valid", AIB_JR_BOOL, true, &valid)) ||
            (rc = get_num(c, m, path, "value", &tmp.value)))
            return rc;
        value = aib_jr_get(m, "value");
        if (valid->b && value->type != AIB_JR_NUM)
            return bad(c, value, path, "a valid metric needs a number as \"value\"");
        if (aib_result_metric(r, tmp.name))
            return bad(c, m, path, "metric \"%s\" appears twice", tmp.name);
        if (aib_result_set_metric(r, tmp.name, tmp.value, tmp.unit, valid->b, tmp.note))
            return nomem(c);
    }
    return rc;
}

static int read_stats(struct ctx *c, const struct aib_jr_val *obj, const char *up,
                      struct aib_stats *s)
{
    static const char *const names[] = {"min", "max",   "mean",  "median", "stddev",
                                        "cv",  "p95",   "ci_lo", "ci_hi",  "mad"};
    double *const dst[] = {&s->min, &s->max, &s->mean,  &s->median, &s->stddev,
                           &s->cv,  &s->p95, &s->ci_lo, &s->ci_hi,  &s->mad};
    const struct aib_jr_val *st;
    char path[PATH_LEN];
    uint64_t n = 0, outliers = 0;
    int rc = member(c, obj, up, "stats", AIB_JR_OBJ, true, &st);
    subpath(path, "%s.stats", up);
    if (rc || (rc = get_count(c, st, path, "n", 1e15, &n)) ||
        (rc = get_count(c, st, path, "outliers", 1e15, &outliers)))
        return rc;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((rc = get_num(c, st, path, names[i], dst[i])))
            return rc;
    s->n = (size_t)n;
    s->outliers = (size_t)outliers;
    return 0;
}

static int read_result(struct ctx *c, const struct aib_jr_val *obj, const char *path,
                       int64_t index, struct aib_result *r, struct aib_series_set *set)
{
    static const char *const statuses[] = {AIB_STATUS_OK, AIB_STATUS_FAILED,
                                           AIB_STATUS_INTERRUPTED, AIB_STATUS_SKIPPED, NULL};
    const struct aib_jr_val *smp;
    uint64_t ips = 0;
    int rc;
    if (obj->type != AIB_JR_OBJ)
        return bad(c, obj, path, "should be an object, not %s", aib_jr_type_name(obj->type));
    if ((rc = get_str(c, obj, path, "workload", true, r->workload, sizeof r->workload)) ||
        (rc = nonempty(c, obj, path, "workload", r->workload)) ||
        (rc = get_str(c, obj, path, "device", true, r->device, sizeof r->device)) ||
        (rc = nonempty(c, obj, path, "device", r->device)) ||
        (rc = get_str(c, obj, path, "params", true, r->params, sizeof r->params)) ||
        (rc = get_str(c, obj, path, "status", true, r->status, sizeof r->status)) ||
        (rc = get_str(c, obj, path, "error", false, r->error, sizeof r->error)) ||
        (rc = get_str(c, obj, path, "unit", true, r->unit, sizeof r->unit)) ||
        (rc = get_count(c, obj, path, "iters_per_sample", 9e15, &ips)) ||
        (rc = read_stats(c, obj, path, &r->st)) ||
        (rc = get_num(c, obj, path, "flops", &r->flops)) ||
        (rc = get_num(c, obj, path, "bytes", &r->bytes)) ||
        (rc = get_num(c, obj, path, "ops", &r->ops)) ||
        (rc = get_num(c, obj, path, "throughput", &r->throughput)) ||
        (rc = get_num(c, obj, path, "started", &r->started)) ||
        (rc = get_num(c, obj, path, "ended", &r->ended)) ||
        (rc = member(c, obj, path, "samples", AIB_JR_ARR, true, &smp)) ||
        (rc = get_nums(c, smp, path, "samples")))
        return rc;
    if (!one_of(r->status, statuses))
        return bad(c, aib_jr_get(obj, "status"), path,
                   "\"status\" should be ok, failed, interrupted or skipped, not \"%s\"",
                   r->status);
    r->iters_per_sample = ips;
    for (size_t i = 0; i < smp->n; i++)
        if (aib_result_push_sample(r, num_or_nan(&smp->items[i])))
            return nomem(c);
    if ((rc = read_metrics(c, obj, path, r)))
        return rc;
    return read_series(c, obj, path, index, set);
}

/* --- runs ----------------------------------------------------------------------------- */

/* 8-4-4-4-12 hex digits; stored in lower case, as aibench makes them. */
static bool uuid_ok(char *u)
{
    if (strlen(u) != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? u[i] != '-' : !isxdigit((unsigned char)u[i]))
            return false;
        u[i] = (char)tolower((unsigned char)u[i]);
    }
    return true;
}

static int read_env(struct ctx *c, const struct aib_jr_val *obj, const char *up,
                    struct aib_run *run)
{
    const struct aib_jr_val *env;
    char path[PATH_LEN];
    int rc = member(c, obj, up, "env", AIB_JR_OBJ, false, &env);
    subpath(path, "%s.env", up);
    for (size_t i = 0; rc == 0 && env && i < env->n; i++) {
        if (env->items[i].type != AIB_JR_STR)
            return bad(c, &env->items[i], path, "\"%s\" should be a string, not %s",
                       env->keys[i], aib_jr_type_name(env->items[i].type));
        if (!env->keys[i][0])
            return bad(c, &env->items[i], path, "empty key");
        if (aib_kv_set(&run->env, env->keys[i], env->items[i].str))
            return nomem(c);
    }
    return rc;
}

static int read_run(struct ctx *c, const struct aib_jr_val *obj, const char *path,
                    struct aib_import_item *it)
{
    static const char *const statuses[] = {AIB_STATUS_RUNNING, AIB_STATUS_OK, AIB_STATUS_FAILED,
                                           AIB_STATUS_INTERRUPTED, NULL};
    struct aib_run *run = &it->run;
    const struct aib_jr_val *res;
    char rpath[PATH_LEN];
    int rc;
    if (obj->type != AIB_JR_OBJ)
        return bad(c, obj, path, "should be an object, not %s", aib_jr_type_name(obj->type));
    if ((rc = get_str(c, obj, path, "uuid", true, run->uuid, sizeof run->uuid)))
        return rc;
    if (!uuid_ok(run->uuid))
        return bad(c, aib_jr_get(obj, "uuid"), path,
                   "\"uuid\" should be a UUID (8-4-4-4-12 hex digits), not \"%s\"", run->uuid);
    if ((rc = get_str(c, obj, path, "status", true, run->status, sizeof run->status)) ||
        (rc = get_str(c, obj, path, "suite", true, run->suite, sizeof run->suite)) ||
        (rc = get_str(c, obj, path, "cmdline", true, run->cmdline, sizeof run->cmdline)) ||
        (rc = get_str(c, obj, path, "host", true, run->host, sizeof run->host)) ||
        (rc = get_str(c, obj, path, "git_commit", false, run->git_commit,
                      sizeof run->git_commit)) ||
        (rc = get_str(c, obj, path, "git_branch", false, run->git_branch,
                      sizeof run->git_branch)) ||
        (rc = get_str(c, obj, path, "fingerprint", false, run->fingerprint,
                      sizeof run->fingerprint)) ||
        (rc = get_num(c, obj, path, "started", &run->started)) ||
        (rc = get_num(c, obj, path, "ended", &run->ended)) || (rc = read_env(c, obj, path, run)) ||
        (rc = member(c, obj, path, "results", AIB_JR_ARR, true, &res)))
        return rc;
    if (!one_of(run->status, statuses))
        return bad(c, aib_jr_get(obj, "status"), path,
                   "\"status\" should be running, ok, failed or interrupted, not \"%s\"",
                   run->status);
    if (res->n && !(it->res = calloc(res->n, sizeof *it->res)))
        return nomem(c);
    for (size_t i = 0; i < res->n; i++) {
        subpath(rpath, "%s.results[%zu]", path, i);
        it->nres = i + 1; /* counted before reading, so a partial result is freed too */
        if ((rc = read_result(c, &res->items[i], rpath, (int64_t)i + 1, &it->res[i],
                              &it->series)))
            return rc;
    }
    run->nresults = it->nres;
    return read_series(c, obj, path, 0, &it->series);
}

/* --- the document ------------------------------------------------------------------ */

static int read_doc(struct ctx *c, const struct aib_jr_val *root, struct aib_import_doc *doc)
{
    const struct aib_jr_val *fmt, *ver, *runs;
    char path[PATH_LEN];
    int rc;
    if (root->type != AIB_JR_OBJ)
        return bad(c, root, "document", "should be an object, not %s",
                   aib_jr_type_name(root->type));
    fmt = aib_jr_get(root, "format");
    if (!fmt || fmt->type != AIB_JR_STR || strcmp(fmt->str, AIB_EXPORT_FORMAT) != 0)
        return bad(c, fmt ? fmt : root, "format",
                   "not an aibench export (\"format\" should be \"" AIB_EXPORT_FORMAT "\")");
    if ((rc = member(c, root, "document", "version", AIB_JR_NUM, true, &ver)))
        return rc;
    if (ver->num != floor(ver->num) || ver->num < 1)
        return bad(c, ver, "version", "should be a whole number from 1");
    if (ver->num > AIB_EXPORT_VERSION)
        return bad(c, ver, "version",
                   "export format version %.0f is newer than this aibench reads (%d): upgrade "
                   "aibench",
                   ver->num, AIB_EXPORT_VERSION);
    doc->version = (int)ver->num;
    if ((rc = member(c, root, "document", "runs", AIB_JR_ARR, true, &runs)))
        return rc;
    if (runs->n && !(doc->items = calloc(runs->n, sizeof *doc->items)))
        return nomem(c);
    for (size_t i = 0; i < runs->n; i++) {
        subpath(path, "runs[%zu]", i);
        doc->n = i + 1;
        if ((rc = read_run(c, &runs->items[i], path, &doc->items[i])))
            return rc;
    }
    return 0;
}

int aib_import_parse(const char *text, size_t len, struct aib_import_doc *doc,
                     struct aib_err *err)
{
    struct aib_jr_val root;
    struct ctx c = {.text = text, .len = len, .err = err};
    memset(doc, 0, sizeof *doc);
    int rc = aib_jr_parse(text, len, &root, err);
    if (rc == 0)
        rc = read_doc(&c, &root, doc);
    aib_jr_free(&root);
    if (rc)
        aib_import_doc_free(doc);
    return rc;
}

void aib_import_doc_free(struct aib_import_doc *doc)
{
    for (size_t i = 0; i < doc->n; i++) {
        aib_run_free(&doc->items[i].run);
        aib_results_free(doc->items[i].res, doc->items[i].nres);
        aib_series_free(&doc->items[i].series);
    }
    free(doc->items);
    memset(doc, 0, sizeof *doc);
}

int aib_import_read_file(const char *path, char **text, size_t *len, struct aib_err *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = NULL, eb[128];
    size_t n = 0, cap = 0;
    int rc = 0;
    *text = NULL;
    *len = 0;
    if (!f)
        return aib_err_set(err, AIB_EUSAGE, "cannot read %s: %s", path,
                           strerror_r(errno, eb, sizeof eb));
    for (;;) {
        if (cap - n < 65536) {
            char *nb = realloc(buf, cap ? cap * 2 : 1 << 20);
            if (!nb) {
                rc = aib_err_set(err, AIB_ENOMEM, "out of memory reading %s", path);
                goto cleanup;
            }
            buf = nb;
            cap = cap ? cap * 2 : 1 << 20;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        rc = aib_err_set(err, AIB_EUSAGE, "cannot read %s: %s", path,
                         strerror_r(errno ? errno : EIO, eb, sizeof eb));
        goto cleanup;
    }
    buf[n] = '\0';
cleanup:
    if (f != stdin)
        fclose(f);
    if (rc) {
        free(buf);
    } else {
        *text = buf;
        *len = n;
    }
    return rc;
}
