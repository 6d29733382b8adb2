/* `aibench import`, second half: writing checked runs (import.c) into a
 * database in ONE write transaction, so an import adds every new run of the
 * file or none. The store's own write calls each open a transaction of
 * their own, so the rows are inserted here, with the same columns as
 * results/store.c and profilers/series_store.c write. */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

struct ins {
    struct aib_store *s;
    sqlite3_stmt *find, *run, *env, *res, *smp, *met, *ser;
    struct aib_err *err;
};

/* Binds left to right, keeping the first failure. */
struct bind {
    sqlite3_stmt *st;
    int i, rc;
};

static void b_text(struct bind *b, const char *v)
{
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_text(b->st, ++b->i, v, -1, SQLITE_STATIC);
}

/* NaN binds as NULL, which the readers turn back into NaN. */
static void b_real(struct bind *b, double v)
{
    if (b->rc == SQLITE_OK)
        b->rc = isnan(v) ? sqlite3_bind_null(b->st, ++b->i) : sqlite3_bind_double(b->st, ++b->i, v);
}

static void b_int(struct bind *b, int64_t v)
{
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_int64(b->st, ++b->i, v);
}

static void b_blob(struct bind *b, const void *p, size_t n)
{
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_blob(b->st, ++b->i, p, (int)n, SQLITE_STATIC);
}

static struct bind bind_start(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return (struct bind){.st = st};
}

static int done(struct ins *x, struct bind *b, const char *what)
{
    int src = b->rc;
    if (src == SQLITE_OK && (src = sqlite3_step(b->st)) == SQLITE_DONE)
        src = SQLITE_OK;
    return src == SQLITE_OK ? 0 : aib_store_sqlerr_(x->s, src, what, x->err);
}

static int prepare(struct ins *x, const char *sql, sqlite3_stmt **st)
{
    int src = sqlite3_prepare_v2(aib_store_db_(x->s), sql, -1, st, NULL);
    return src == SQLITE_OK ? 0 : aib_store_sqlerr_(x->s, src, "cannot prepare an insert", x->err);
}

/* Explicit little-endian float64, as profilers/series_store.c stores points. */
static unsigned char *encode(const double *v, size_t n)
{
    unsigned char *b = malloc(n ? n * 8 : 1);
    for (size_t i = 0; b && i < n; i++) {
        uint64_t u;
        memcpy(&u, &v[i], sizeof u);
        for (int k = 0; k < 8; k++)
            b[8 * i + (size_t)k] = (unsigned char)(u >> (8 * k));
    }
    return b;
}

static int insert_series(struct ins *x, int64_t run_id, const struct aib_series *s,
                         int64_t result_id)
{
    unsigned char *bt = encode(s->t, s->n), *bv = encode(s->v, s->n);
    int rc;
    if (!bt || !bv) {
        rc = aib_err_set(x->err, AIB_ENOMEM, "out of memory importing series");
    } else {
        struct bind b = bind_start(x->ser);
        b_int(&b, run_id);
        if (b.rc == SQLITE_OK)
            b.rc = result_id ? sqlite3_bind_int64(x->ser, ++b.i, result_id)
                             : sqlite3_bind_null(x->ser, ++b.i);
        b_text(&b, s->source);
        b_text(&b, s->name);
        b_text(&b, s->unit);
        b_real(&b, s->t0);
        b_int(&b, (int64_t)s->n);
        b_real(&b, isfinite(s->min) ? s->min : NAN);
        b_real(&b, isfinite(s->mean) ? s->mean : NAN);
        b_real(&b, isfinite(s->max) ? s->max : NAN);
        b_blob(&b, bt, s->n * 8);
        b_blob(&b, bv, s->n * 8);
        rc = done(x, &b, "cannot insert a series");
    }
    free(bt);
    free(bv);
    return rc;
}

static int insert_result(struct ins *x, int64_t run_id, const struct aib_result *r,
                         int64_t *id)
{
    struct bind b = bind_start(x->res);
    const struct aib_stats *s = &r->st;
    b_int(&b, run_id);
    b_text(&b, r->workload);
    b_text(&b, r->device);
    b_text(&b, r->params);
    b_text(&b, r->status);
    b_text(&b, r->error);
    b_int(&b, (int64_t)r->iters_per_sample);
    b_int(&b, (int64_t)s->n);
    const double stats[] = {s->min, s->max, s->mean, s->median, s->stddev,
                            s->cv,  s->p95, s->ci_lo, s->ci_hi, s->mad};
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
        b_real(&b, stats[i]);
    b_int(&b, (int64_t)s->outliers);
    b_real(&b, r->flops);
    b_real(&b, r->bytes);
    b_real(&b, r->ops);
    b_real(&b, r->throughput);
    b_text(&b, r->unit);
    b_real(&b, r->started);
    b_real(&b, r->ended);
    int rc = done(x, &b, "cannot insert a result");
    if (rc)
        return rc;
    *id = sqlite3_last_insert_rowid(aib_store_db_(x->s));
    for (size_t i = 0; i < r->nsamples && rc == 0; i++) {
        b = bind_start(x->smp);
        b_int(&b, *id);
        b_int(&b, (int64_t)i);
        b_real(&b, r->samples[i]);
        rc = done(x, &b, "cannot insert a sample");
    }
    for (size_t i = 0; i < r->nmetrics && rc == 0; i++) {
        const struct aib_metric *m = &r->metrics[i];
        b = bind_start(x->met);
        b_int(&b, *id);
        b_text(&b, m->name);
        b_real(&b, m->value);
        b_text(&b, m->unit);
        b_int(&b, m->valid);
        b_text(&b, m->note);
        rc = done(x, &b, "cannot insert a metric");
    }
    return rc;
}

/* The local id of the run with this UUID; 0 when there is none. */
static int find_run(struct ins *x, const char *uuid, int64_t *id)
{
    struct bind b = bind_start(x->find);
    b_text(&b, uuid);
    int src = b.rc == SQLITE_OK ? sqlite3_step(x->find) : b.rc;
    *id = src == SQLITE_ROW ? sqlite3_column_int64(x->find, 0) : 0;
    if (src == SQLITE_ROW || src == SQLITE_DONE)
        return 0;
    return aib_store_sqlerr_(x->s, src, "cannot look up a run", x->err);
}

static int insert_run(struct ins *x, const struct aib_import_item *it, int64_t *run_id)
{
    const struct aib_run *run = &it->run;
    int64_t *ids = NULL;
    struct bind b = bind_start(x->run);
    int rc;
    b_text(&b, run->uuid);
    b_text(&b, run->status);
    b_text(&b, run->suite);
    b_text(&b, run->cmdline);
    b_text(&b, run->host);
    b_real(&b, run->started);
    b_real(&b, run->ended);
    b_text(&b, run->git_commit);
    b_text(&b, run->git_branch);
    b_text(&b, run->fingerprint);
    if ((rc = done(x, &b, "cannot insert a run")))
        return rc;
    *run_id = sqlite3_last_insert_rowid(aib_store_db_(x->s));
    for (size_t i = 0; i < run->env.len && rc == 0; i++) {
        b = bind_start(x->env);
        b_int(&b, *run_id);
        b_text(&b, run->env.items[i].key);
        b_text(&b, run->env.items[i].value);
        rc = done(x, &b, "cannot insert the run environment");
    }
    /* Series name their result by its index in the file: map to new ids. */
    if (rc == 0 && it->nres && !(ids = calloc(it->nres, sizeof *ids)))
        rc = aib_err_set(x->err, AIB_ENOMEM, "out of memory importing");
    for (size_t i = 0; i < it->nres && rc == 0; i++)
        rc = insert_result(x, *run_id, &it->res[i], &ids[i]);
    for (size_t i = 0; i < it->series.len && rc == 0; i++) {
        const struct aib_series *s = &it->series.items[i];
        int64_t rid = s->result_id > 0 && (size_t)s->result_id <= it->nres
                          ? ids[s->result_id - 1] : 0;
        rc = insert_series(x, *run_id, s, rid);
    }
    free(ids);
    return rc;
}

int aib_import_store(struct aib_store *s, const struct aib_import_doc *doc,
                     struct aib_import_report *rep, struct aib_err *err)
{
    struct ins x = {.s = s, .err = err};
    struct aib_import_run *out = NULL;
    int rc;
    memset(rep, 0, sizeof *rep);
    if (doc->n && !(out = calloc(doc->n, sizeof *out)))
        return aib_err_set(err, AIB_ENOMEM, "out of memory importing");
    if ((rc = aib_store_tx_begin_(s, err))) {
        free(out);
        return rc;
    }
    if ((rc = prepare(&x, "SELECT id FROM runs WHERE uuid = ?", &x.find)) ||
        (rc = prepare(&x,
                      "INSERT INTO runs(uuid, status, suite, cmdline, host, started, ended,"
                      " git_commit, git_branch, fingerprint) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      &x.run)) ||
        (rc = prepare(&x, "INSERT INTO run_env(run_id, key, value) VALUES(?, ?, ?)", &x.env)) ||
        (rc = prepare(&x,
                      "INSERT INTO results(run_id, workload, device, params, status, error,"
                      " iters_per_sample, n, min, max, mean, median, stddev, cv, p95, ci_lo,"
                      " ci_hi, mad, outliers, flops, bytes, ops, throughput, unit, started,"
                      " ended) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                      " ?, ?, ?, ?, ?, ?, ?)",
                      &x.res)) ||
        (rc = prepare(&x, "INSERT INTO samples(result_id, idx, seconds) VALUES(?, ?, ?)",
                      &x.smp)) ||
        (rc = prepare(&x,
                      "INSERT INTO result_metrics(result_id, name, value, unit, valid, note)"
                      " VALUES(?, ?, ?, ?, ?, ?)",
                      &x.met)) ||
        (rc = prepare(&x,
                      "INSERT INTO series(run_id, result_id, source, name, unit, t0, n, min,"
                      " mean, max, t, v) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      &x.ser)))
        goto cleanup;
    for (size_t i = 0; i < doc->n && rc == 0; i++) {
        struct aib_import_run *o = &out[i];
        snprintf(o->uuid, sizeof o->uuid, "%s", doc->items[i].run.uuid);
        /* Looked up inside the transaction, so a UUID twice in one file is
         * added once too. */
        if ((rc = find_run(&x, o->uuid, &o->id)))
            break;
        o->skipped = o->id != 0;
        if (!o->skipped && (rc = insert_run(&x, &doc->items[i], &o->id)))
            aib_err_prefix(err, "run %s", o->uuid);
    }
cleanup:
    sqlite3_finalize(x.find);
    sqlite3_finalize(x.run);
    sqlite3_finalize(x.env);
    sqlite3_finalize(x.res);
    sqlite3_finalize(x.smp);
    sqlite3_finalize(x.met);
    sqlite3_finalize(x.ser);
    rc = aib_store_tx_end_(s, rc, err);
    if (rc) {
        free(out);
    } else {
        rep->runs = out;
        rep->n = doc->n;
    }
    return rc;
}

void aib_import_report_free(struct aib_import_report *rep)
{
    free(rep->runs);
    rep->runs = NULL;
    rep->n = 0;
}
