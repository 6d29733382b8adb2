/* Reports: loading a run with its roofline and series, finding sweeps,
 * shortening parameter strings, and output files written whole or not at
 * all (report.h). */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench/params.h"

/* --- loading ----------------------------------------------------------------- */

/* Other runs of the same host, loaded for their ceilings. */
struct host_runs {
    struct aib_run *run;
    struct aib_result **res;
    size_t *n;
    size_t len;
};

static void host_runs_free(struct host_runs *h)
{
    for (size_t i = 0; i < h->len; i++) {
        aib_results_free(h->res[i], h->n[i]);
        aib_run_free(&h->run[i]);
    }
    free(h->run);
    free(h->res);
    free(h->n);
    memset(h, 0, sizeof *h);
}

static int host_runs_load(struct aib_store *s, const struct aib_run *self, struct host_runs *h,
                          struct aib_err *err)
{
    struct aib_run *all = NULL;
    size_t nall = 0;
    char ref[32];
    memset(h, 0, sizeof *h);
    int rc = aib_store_list_runs(s, &all, &nall, err);
    if (rc)
        return rc;
    h->run = calloc(nall ? nall : 1, sizeof *h->run);
    h->res = calloc(nall ? nall : 1, sizeof *h->res);
    h->n = calloc(nall ? nall : 1, sizeof *h->n);
    if (!h->run || !h->res || !h->n) {
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory loading runs");
        goto cleanup;
    }
    for (size_t i = 0; i < nall; i++) {
        if (all[i].id == self->id || strcmp(all[i].fingerprint, self->fingerprint) != 0)
            continue;
        snprintf(ref, sizeof ref, "%lld", (long long)all[i].id);
        rc = aib_store_load_run(s, ref, &h->run[h->len], &h->res[h->len], &h->n[h->len], err);
        if (rc)
            goto cleanup;
        h->len++;
    }
cleanup:
    aib_runs_free(all, nall);
    if (rc)
        host_runs_free(h);
    return rc;
}

int aib_report_load(struct aib_store *s, const char *ref, unsigned what,
                    struct aib_report_run *out, struct aib_err *err)
{
    struct host_runs h = {0};
    struct aib_roof_source *src = NULL;
    memset(out, 0, sizeof *out);
    int rc = aib_store_load_run(s, ref, &out->run, &out->res, &out->n, err);
    if (!rc && (what & AIB_REPORT_SERIES))
        rc = aib_series_load(s, out->run.id, &out->series, err);
    if (!rc && (what & AIB_REPORT_HOST_CEILINGS) && out->run.fingerprint[0])
        rc = host_runs_load(s, &out->run, &h, err);
    if (rc)
        goto cleanup;
    src = calloc(h.len + 1, sizeof *src);
    if (!src) {
        rc = aib_err_set(err, AIB_ENOMEM, "out of memory");
        goto cleanup;
    }
    src[0] = (struct aib_roof_source){out->res, out->n, out->run.id, &out->run.env};
    for (size_t i = 0; i < h.len; i++)
        src[i + 1] = (struct aib_roof_source){h.res[i], h.n[i], h.run[i].id, &h.run[i].env};
    out->nhost = h.len;
    rc = aib_roofline_build(src, h.len + 1, &out->rl, err);
cleanup:
    free(src);
    host_runs_free(&h);
    if (rc)
        aib_report_run_free(out);
    return rc;
}

void aib_report_run_free(struct aib_report_run *r)
{
    aib_results_free(r->res, r->n);
    aib_run_free(&r->run);
    aib_series_free(&r->series);
    aib_roofline_free(&r->rl);
    memset(r, 0, sizeof *r);
}

/* --- parameter strings --------------------------------------------------------- */

/* Appends "k=v" to out with a comma when out is not empty. */
static void append_pair(char *out, size_t len, const char *pair, size_t plen)
{
    size_t used = strlen(out);
    if (used + 1 >= len)
        return;
    snprintf(out + used, len - used, "%s%.*s", used ? "," : "", (int)plen, pair);
}

/* The "k=v" pairs of p that are the same in all n strings (want_varying
 * false) or not (true), joined with commas into out. */
static void pairs_of(const char *p, char *out, size_t len, bool want_varying,
                     const char *const *all, size_t n)
{
    char key[64], v[AIB_PARAM_STR_MAX], w[AIB_PARAM_STR_MAX];
    out[0] = '\0';
    while (p && *p) {
        size_t plen = strcspn(p, ","), klen = strcspn(p, "=");
        if (klen < plen && klen < sizeof key) {
            snprintf(key, sizeof key, "%.*s", (int)klen, p);
            snprintf(v, sizeof v, "%.*s", (int)(plen - klen - 1), p + klen + 1);
            bool same = true;
            for (size_t j = 0; j < n && same; j++)
                same = aib_roof_param(all[j], key, w, sizeof w) && strcmp(v, w) == 0;
            if (same != want_varying)
                append_pair(out, len, p, plen);
        }
        p = p[plen] ? p + plen + 1 : NULL;
    }
}

void aib_report_varying(const char *const *params, size_t n, size_t i, char *out, size_t len)
{
    pairs_of(params[i], out, len, true, params, n);
}

void aib_report_common(const char *const *params, size_t n, char *out, size_t len)
{
    if (n == 0) {
        out[0] = '\0';
        return;
    }
    pairs_of(params[0], out, len, false, params, n);
}

/* --- sweeps -------------------------------------------------------------------- */

/* One result seen as a point of a possible sweep over `key`. */
struct sweep_item {
    const struct aib_result *r;
    size_t idx;
    char key[64];
    double x;
    char rest[512]; /* params without key=value */
};

static int item_cmp(const void *a, const void *b)
{
    const struct sweep_item *x = a, *y = b;
    int c = strcmp(x->r->workload, y->r->workload);
    c = c ? c : strcmp(x->r->device, y->r->device);
    c = c ? c : strcmp(x->key, y->key);
    c = c ? c : strcmp(x->r->unit, y->r->unit);
    c = c ? c : strcmp(x->rest, y->rest);
    return c ? c : x->x < y->x ? -1 : x->x > y->x ? 1 : (x->idx > y->idx) - (x->idx < y->idx);
}

static bool same_chart(const struct sweep_item *a, const struct sweep_item *b)
{
    return strcmp(a->r->workload, b->r->workload) == 0 && strcmp(a->r->device, b->r->device) == 0 &&
           strcmp(a->key, b->key) == 0 && strcmp(a->r->unit, b->r->unit) == 0;
}

static bool same_line(const struct sweep_item *a, const struct sweep_item *b)
{
    return same_chart(a, b) && strcmp(a->rest, b->rest) == 0;
}

/* Splits every ok result's parameters into (numeric key, rest) items. */
static int sweep_items(const struct aib_result *res, size_t n, struct sweep_item **out,
                       size_t *nout)
{
    size_t cap = 0, len = 0;
    struct sweep_item *it = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct aib_result *r = &res[i];
        if (strcmp(r->status, AIB_STATUS_OK) != 0 || !(r->throughput > 0) || !r->unit[0])
            continue;
        for (const char *p = r->params; p && *p;) {
            size_t plen = strcspn(p, ","), klen = strcspn(p, "=");
            char val[64], *end;
            if (klen < plen && klen < 64 && plen - klen - 1 < sizeof val) {
                snprintf(val, sizeof val, "%.*s", (int)(plen - klen - 1), p + klen + 1);
                double x = strtod(val, &end);
                if (end != val && *end == '\0' && isfinite(x)) {
                    if (len == cap) {
                        cap = cap ? cap * 2 : 64;
                        struct sweep_item *g = realloc(it, cap * sizeof *g);
                        if (!g) {
                            free(it);
                            return AIB_ENOMEM;
                        }
                        it = g;
                    }
                    struct sweep_item *s = &it[len++];
                    s->r = r, s->idx = i + 1, s->x = x;
                    snprintf(s->key, sizeof s->key, "%.*s", (int)klen, p);
                    /* the pairs before (without their last comma) and after */
                    int pre = p == r->params ? 0 : (int)(p - r->params) - 1;
                    const char *post = p[plen] ? p + plen + 1 : "";
                    snprintf(s->rest, sizeof s->rest, "%.*s%s%s", pre, r->params,
                             pre && *post ? "," : "", post);
                }
            }
            p = p[plen] ? p + plen + 1 : NULL;
        }
    }
    *out = it, *nout = len;
    return 0;
}

/* Appends the line it[a..b) to the last sweep. */
static int add_line(struct aib_sweep *sw, const struct sweep_item *it, size_t a, size_t b)
{
    struct aib_sweep_line *g = realloc(sw->lines, (sw->nlines + 1) * sizeof *g);
    if (!g)
        return AIB_ENOMEM;
    sw->lines = g;
    struct aib_sweep_line *l = &sw->lines[sw->nlines];
    memset(l, 0, sizeof *l);
    l->x = malloc((b - a) * sizeof *l->x);
    l->y = malloc((b - a) * sizeof *l->y);
    l->idx = malloc((b - a) * sizeof *l->idx);
    sw->nlines++; /* counted now so a failure below is freed with the sweep */
    if (!l->x || !l->y || !l->idx)
        return AIB_ENOMEM;
    for (size_t i = a; i < b; i++) {
        l->x[l->n] = it[i].x;
        l->y[l->n] = it[i].r->throughput;
        l->idx[l->n++] = it[i].idx;
    }
    snprintf(l->label, sizeof l->label, "%s", it[a].rest);
    return 0;
}

/* Labels lines by the part of their other parameters that differs. */
static void label_lines(struct aib_sweep *sw)
{
    const char *rest[64];
    char buf[512];
    size_t n = sw->nlines < 64 ? sw->nlines : 64;
    if (sw->nlines == 1) {
        sw->lines[0].label[0] = '\0';
        return;
    }
    for (size_t i = 0; i < n; i++)
        rest[i] = sw->lines[i].label;
    char (*lab)[512] = malloc(n * sizeof *lab);
    if (!lab)
        return; /* keeps the full parameters as labels */
    for (size_t i = 0; i < n; i++) {
        aib_report_varying(rest, n, i, buf, sizeof buf);
        snprintf(lab[i], sizeof lab[i], "%s", buf);
    }
    for (size_t i = 0; i < n; i++)
        snprintf(sw->lines[i].label, sizeof sw->lines[i].label, "%s", lab[i]);
    free(lab);
}

int aib_report_sweeps(const struct aib_result *res, size_t n, struct aib_sweep **out,
                      size_t *nout, struct aib_err *err)
{
    struct sweep_item *it = NULL;
    struct aib_sweep *sw = NULL;
    size_t nit = 0, nsw = 0;
    int rc = sweep_items(res, n, &it, &nit);
    if (rc)
        goto cleanup;
    qsort(it, nit, sizeof *it, item_cmp);
    size_t prev = 0; /* the first item of the last line taken */
    for (size_t a = 0, b; a < nit; a = b) {
        size_t distinct = 1;
        for (b = a + 1; b < nit && same_line(&it[a], &it[b]); b++)
            distinct += it[b].x != it[b - 1].x;
        if (distinct < 2)
            continue;
        if (nsw == 0 || !same_chart(&it[prev], &it[a])) {
            struct aib_sweep *g = realloc(sw, (nsw + 1) * sizeof *g);
            if (!g) {
                rc = AIB_ENOMEM;
                goto cleanup;
            }
            sw = g;
            memset(&sw[nsw], 0, sizeof sw[nsw]);
            snprintf(sw[nsw].workload, sizeof sw[nsw].workload, "%s", it[a].r->workload);
            snprintf(sw[nsw].device, sizeof sw[nsw].device, "%s", it[a].r->device);
            snprintf(sw[nsw].key, sizeof sw[nsw].key, "%s", it[a].key);
            snprintf(sw[nsw].unit, sizeof sw[nsw].unit, "%s", it[a].r->unit);
            nsw++;
        }
        prev = a;
        if ((rc = add_line(&sw[nsw - 1], it, a, b)))
            goto cleanup;
    }
    for (size_t i = 0; i < nsw; i++)
        label_lines(&sw[i]);
cleanup:
    free(it);
    if (rc) {
        aib_report_sweeps_free(sw, nsw);
        *out = NULL, *nout = 0;
        return aib_err_set(err, AIB_ENOMEM, "out of memory finding sweeps");
    }
    *out = sw, *nout = nsw;
    return 0;
}

void aib_report_sweeps_free(struct aib_sweep *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        for (size_t j = 0; j < s[i].nlines; j++) {
            free(s[i].lines[j].x);
            free(s[i].lines[j].y);
            free(s[i].lines[j].idx);
        }
        free(s[i].lines);
    }
    free(s);
}

/* --- output files --------------------------------------------------------------- */

int aib_outfile_open(struct aib_outfile *o, const char *path, struct aib_err *err)
{
    struct stat st;
    int fd = -1;
    memset(o, 0, sizeof *o);
    snprintf(o->path, sizeof o->path, "%s", path);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return aib_err_set(err, AIB_EUSAGE, "cannot write %s: it is a directory", path);
    for (int i = 0; fd < 0 && i < 100; i++) {
        snprintf(o->tmp, sizeof o->tmp, "%s.tmp%ld.%d", path, (long)getpid(), i);
        fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int e = errno;
        o->tmp[0] = '\0';
        return aib_err_set(err, AIB_EUSAGE, "cannot write %s: %s", path, strerror(e));
    }
    o->f = fdopen(fd, "w");
    if (!o->f) {
        close(fd);
        unlink(o->tmp);
        o->tmp[0] = '\0';
        return aib_err_set(err, AIB_ENOMEM, "cannot write %s: out of memory", path);
    }
    return 0;
}

int aib_outfile_commit(struct aib_outfile *o, struct aib_err *err)
{
    int bad = fflush(o->f) != 0 || ferror(o->f);
    int e = errno;
    bad |= fclose(o->f) != 0;
    o->f = NULL;
    if (bad || rename(o->tmp, o->path) != 0) {
        e = bad ? e : errno;
        unlink(o->tmp);
        o->tmp[0] = '\0';
        return aib_err_set(err, AIB_EUSAGE, "cannot write %s: %s", o->path,
                           e ? strerror(e) : "write error");
    }
    o->tmp[0] = '\0';
    return 0;
}

void aib_outfile_abort(struct aib_outfile *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp[0])
        unlink(o->tmp);
    o->tmp[0] = '\0';
}

int aib_report_files_add(struct aib_report_files *fl, const char *path)
{
    if (fl->n == fl->cap) {
        size_t cap = fl->cap ? fl->cap * 2 : 8;
        char **p = realloc(fl->paths, cap * sizeof *p);
        if (!p)
            return AIB_ENOMEM;
        fl->paths = p, fl->cap = cap;
    }
    if (!(fl->paths[fl->n] = strdup(path)))
        return AIB_ENOMEM;
    fl->n++;
    return 0;
}

void aib_report_files_remove(struct aib_report_files *fl)
{
    for (size_t i = 0; i < fl->n; i++)
        unlink(fl->paths[i]);
    aib_report_files_free(fl);
}

void aib_report_files_free(struct aib_report_files *fl)
{
    for (size_t i = 0; i < fl->n; i++)
        free(fl->paths[i]);
    free(fl->paths);
    memset(fl, 0, sizeof *fl);
}
