/* `aibench export`: runs as an "aibench-export" JSON document
 * (docs/export-format.md). Numbers are written with the fewest digits that
 * read back to the same double, so an import gives bit-identical figures;
 * bench/json.c's writer keeps 15 digits, which is right for reading but not
 * for a round trip, hence the small writer here. */
#include "export.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../bench/env.h"
#include "../profilers/series.h"

/* --- the writer ---------------------------------------------------------------- */

#define XW_DEPTH 16

struct xw {
    FILE *f;
    int depth;
    bool first[XW_DEPTH];
    bool inline_[XW_DEPTH]; /* arrays of numbers stay on one line */
    bool after_key;
};

static void xw_sep(struct xw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth])
            fputc(',', w->f);
        if (w->inline_[w->depth]) {
            if (!w->first[w->depth])
                fputc(' ', w->f);
        } else {
            fprintf(w->f, "\n%*s", 2 * w->depth, "");
        }
    }
    w->first[w->depth] = false;
}

static void xw_open(struct xw *w, char c, bool inl)
{
    xw_sep(w);
    fputc(c, w->f);
    if (w->depth + 1 < XW_DEPTH)
        w->depth++;
    w->first[w->depth] = true;
    w->inline_[w->depth] = inl;
}

static void xw_close(struct xw *w, char c)
{
    bool empty = w->first[w->depth], inl = w->inline_[w->depth];
    if (w->depth > 0)
        w->depth--;
    if (!empty && !inl)
        fprintf(w->f, "\n%*s", 2 * w->depth, "");
    fputc(c, w->f);
}

static void xw_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void xw_key(struct xw *w, const char *k)
{
    xw_sep(w);
    xw_string(w->f, k);
    fputs(": ", w->f);
    w->after_key = true;
}

static void xw_str(struct xw *w, const char *k, const char *s)
{
    if (k)
        xw_key(w, k);
    xw_sep(w);
    xw_string(w->f, s ? s : "");
}

/* The shortest of %.15g, %.16g, %.17g that reads back exactly; NaN and
 * infinities (never measured) are null. */
static void xw_num(struct xw *w, const char *k, double v)
{
    char buf[40];
    if (k)
        xw_key(w, k);
    xw_sep(w);
    if (!isfinite(v)) {
        fputs("null", w->f);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, w->f);
}

static void xw_int(struct xw *w, const char *k, int64_t v)
{
    xw_key(w, k);
    xw_sep(w);
    fprintf(w->f, "%" PRId64, v);
}

static void xw_bool(struct xw *w, const char *k, bool v)
{
    xw_key(w, k);
    xw_sep(w);
    fputs(v ? "true" : "false", w->f);
}

static void xw_nums(struct xw *w, const char *k, const double *v, size_t n)
{
    xw_key(w, k);
    xw_open(w, '[', true);
    for (size_t i = 0; i < n; i++)
        xw_num(w, NULL, v[i]);
    xw_close(w, ']');
}

/* --- the document ---------------------------------------------------------- */

static void write_series(struct xw *w, const struct aib_series_set *set, int64_t result_id)
{
    xw_key(w, "series");
    xw_open(w, '[', false);
    for (size_t i = 0; i < set->len; i++) {
        const struct aib_series *x = &set->items[i];
        if (x->result_id != result_id)
            continue;
        xw_open(w, '{', false);
        xw_str(w, "source", x->source);
        xw_str(w, "name", x->name);
        xw_str(w, "unit", x->unit);
        xw_num(w, "t0", x->t0);
        xw_num(w, "min", x->min);
        xw_num(w, "mean", x->mean);
        xw_num(w, "max", x->max);
        xw_nums(w, "t", x->t, x->n);
        xw_nums(w, "v", x->v, x->n);
        xw_close(w, '}');
    }
    xw_close(w, ']');
}

static void write_result(struct xw *w, const struct aib_result *r,
                         const struct aib_series_set *set)
{
    const struct aib_stats *s = &r->st;
    xw_open(w, '{', false);
    xw_str(w, "workload", r->workload);
    xw_str(w, "device", r->device);
    xw_str(w, "params", r->params);
    xw_str(w, "status", r->status);
    xw_str(w, "error", r->error);
    xw_int(w, "iters_per_sample", (int64_t)r->iters_per_sample);
    xw_key(w, "stats");
    xw_open(w, '{', false);
    xw_int(w, "n", (int64_t)s->n);
    xw_num(w, "min", s->min);
    xw_num(w, "max", s->max);
    xw_num(w, "mean", s->mean);
    xw_num(w, "median", s->median);
    xw_num(w, "stddev", s->stddev);
    xw_num(w, "cv", s->cv);
    xw_num(w, "p95", s->p95);
    xw_num(w, "ci_lo", s->ci_lo);
    xw_num(w, "ci_hi", s->ci_hi);
    xw_num(w, "mad", s->mad);
    xw_int(w, "outliers", (int64_t)s->outliers);
    xw_close(w, '}');
    xw_num(w, "flops", r->flops);
    xw_num(w, "bytes", r->bytes);
    xw_num(w, "ops", r->ops);
    xw_num(w, "throughput", r->throughput);
    xw_str(w, "unit", r->unit);
    xw_num(w, "started", r->started);
    xw_num(w, "ended", r->ended);
    xw_nums(w, "samples", r->samples, r->nsamples);
    xw_key(w, "metrics");
    xw_open(w, '[', false);
    for (size_t i = 0; i < r->nmetrics; i++) {
        const struct aib_metric *m = &r->metrics[i];
        xw_open(w, '{', true);
        xw_str(w, "name", m->name);
        xw_num(w, "value", m->valid ? m->value : NAN);
        xw_str(w, "unit", m->unit);
        xw_bool(w, "valid", m->valid != 0);
        xw_str(w, "note", m->note);
        xw_close(w, '}');
    }
    xw_close(w, ']');
    write_series(w, set, r->id);
    xw_close(w, '}');
}

static void write_run(struct xw *w, const struct aib_run *run, const struct aib_result *res,
                      size_t nres, const struct aib_series_set *set)
{
    xw_open(w, '{', false);
    xw_str(w, "uuid", run->uuid);
    xw_int(w, "id", run->id);
    xw_str(w, "status", run->status);
    xw_str(w, "suite", run->suite);
    xw_str(w, "cmdline", run->cmdline);
    xw_str(w, "host", run->host);
    xw_str(w, "git_commit", run->git_commit);
    xw_str(w, "git_branch", run->git_branch);
    xw_str(w, "fingerprint", run->fingerprint);
    xw_num(w, "started", run->started);
    xw_num(w, "ended", run->ended);
    xw_key(w, "env");
    xw_open(w, '{', false);
    for (size_t i = 0; i < run->env.len; i++)
        xw_str(w, run->env.items[i].key, run->env.items[i].value);
    xw_close(w, '}');
    xw_key(w, "results");
    xw_open(w, '[', false);
    for (size_t i = 0; i < nres; i++)
        write_result(w, &res[i], set);
    xw_close(w, ']');
    write_series(w, set, 0); /* run-wide series */
    xw_close(w, '}');
}

int aib_export_write(struct aib_store *s, const int64_t *run_ids, size_t n, FILE *f,
                     struct aib_err *err)
{
    struct xw w = {.f = f};
    struct timespec now;
    char version[512];
    int rc = 0;
    clock_gettime(CLOCK_REALTIME, &now);
    xw_open(&w, '{', false);
    xw_str(&w, "format", AIB_EXPORT_FORMAT);
    xw_int(&w, "version", AIB_EXPORT_VERSION);
    xw_str(&w, "exported_by", aib_version_string(version, sizeof version));
    xw_num(&w, "exported_at", (double)now.tv_sec + now.tv_nsec * 1e-9);
    xw_key(&w, "runs");
    xw_open(&w, '[', false);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct aib_run run = {0};
        struct aib_result *res = NULL;
        struct aib_series_set set = {0};
        size_t nres = 0;
        char ref[32];
        snprintf(ref, sizeof ref, "%" PRId64, run_ids[i]);
        rc = aib_store_load_run(s, ref, &run, &res, &nres, err);
        if (rc == 0)
            rc = aib_series_load(s, run.id, &set, err);
        if (rc == 0)
            write_run(&w, &run, res, nres, &set);
        aib_series_free(&set);
        aib_results_free(res, nres);
        aib_run_free(&run);
    }
    xw_close(&w, ']');
    xw_close(&w, '}');
    fputc('\n', f);
    return rc;
}

/* --- to a file, atomically ------------------------------------------------------ */

static int write_failed(const char *path, int e, struct aib_err *err)
{
    char eb[128];
    return aib_err_set(err, AIB_EUSAGE, "cannot write %s: %s", path,
                       strerror_r(e, eb, sizeof eb));
}

int aib_export_to_path(struct aib_store *s, const int64_t *run_ids, size_t n, const char *path,
                       FILE *out, struct aib_err *err)
{
    char tmp[4200];
    FILE *f = NULL;
    int rc, fd;
    if (strcmp(path, "-") == 0) {
        rc = aib_export_write(s, run_ids, n, out, err);
        if (rc == 0 && (fflush(out) != 0 || ferror(out)))
            rc = aib_err_set(err, AIB_EIO, "cannot write the export to standard output");
        return rc;
    }
    if (!*path)
        return aib_err_set(err, AIB_EUSAGE, "the output path (-o) is empty");
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return aib_err_set(err, AIB_EUSAGE, "output path %s is too long", path);
    fd = mkstemp(tmp);
    if (fd < 0)
        return write_failed(path, errno, err);
    /* mkstemp makes 0600; give the file the mode a shell redirect would. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    f = fdopen(fd, "w");
    if (!f) {
        rc = write_failed(path, errno, err);
        close(fd);
        goto cleanup;
    }
    rc = aib_export_write(s, run_ids, n, f, err);
    if (rc == 0 && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0))
        rc = write_failed(path, errno, err);
    if (fclose(f) != 0 && rc == 0)
        rc = write_failed(path, errno, err);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = write_failed(path, errno, err);
cleanup:
    if (rc)
        (void)unlink(tmp);
    return rc;
}
