/* Series in SQLite (table `series`, schema migration 4): one row per series
 * with its summary columns, so `results show` needs no pass over the points,
 * and the points as two blobs of little-endian IEEE-754 float64 (t: seconds
 * since t0; v: the values), which keeps a 10 Hz sampler over a long run to
 * a few rows per result. Uses the store's connection and its transaction
 * helpers (results/store.h); each call is one transaction, run outside any
 * timed region (from a sink's result hook). */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/engine.h"
#include "../results/store.h"
#include "profiler.h"
#include "series.h"

/* Explicit byte order, so a database moved between machines reads the same. */
static void put_le64(unsigned char *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(u >> (8 * i));
}

static double get_le64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)p[i] << (8 * i);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static unsigned char *encode(const double *x, size_t n)
{
    unsigned char *b = malloc(n ? n * 8 : 1);
    if (b)
        for (size_t i = 0; i < n; i++)
            put_le64(b + 8 * i, x[i]);
    return b;
}

static int bind_real_or_null(sqlite3_stmt *st, int i, double v)
{
    return isfinite(v) ? sqlite3_bind_double(st, i, v) : sqlite3_bind_null(st, i);
}

int aib_series_store(struct aib_store *s, int64_t run_id, const struct aib_series_set *set,
                     struct aib_err *err)
{
    sqlite3_stmt *st = NULL;
    unsigned char *bt = NULL, *bv = NULL;
    if (!set || set->len == 0)
        return 0;
    int rc = aib_store_tx_begin_(s, err);
    if (rc)
        return rc;
    int src = sqlite3_prepare_v2(aib_store_db_(s),
                                 "INSERT INTO series(run_id, result_id, source, name, unit, t0, n,"
                                 " min, mean, max, t, v) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 -1, &st, NULL);
    if (src != SQLITE_OK) {
        rc = aib_store_sqlerr_(s, src, "cannot prepare the series insert", err);
        goto cleanup;
    }
    for (size_t i = 0; i < set->len; i++) {
        const struct aib_series *x = &set->items[i];
        bt = encode(x->t, x->n);
        bv = encode(x->v, x->n);
        if (!bt || !bv) {
            rc = aib_err_set(err, AIB_ENOMEM, "out of memory storing series %s.%s", x->source,
                             x->name);
            goto cleanup;
        }
        sqlite3_reset(st);
        src = sqlite3_bind_int64(st, 1, run_id);
        if (src == SQLITE_OK)
            src = x->result_id ? sqlite3_bind_int64(st, 2, x->result_id) : sqlite3_bind_null(st, 2);
        if (src == SQLITE_OK)
            src = sqlite3_bind_text(st, 3, x->source, -1, SQLITE_STATIC);
        if (src == SQLITE_OK)
            src = sqlite3_bind_text(st, 4, x->name, -1, SQLITE_STATIC);
        if (src == SQLITE_OK)
            src = sqlite3_bind_text(st, 5, x->unit, -1, SQLITE_STATIC);
        if (src == SQLITE_OK)
            src = sqlite3_bind_double(st, 6, x->t0);
        if (src == SQLITE_OK)
            src = sqlite3_bind_int64(st, 7, (int64_t)x->n);
        if (src == SQLITE_OK)
            src = bind_real_or_null(st, 8, x->min);
        if (src == SQLITE_OK)
            src = bind_real_or_null(st, 9, x->mean);
        if (src == SQLITE_OK)
            src = bind_real_or_null(st, 10, x->max);
        if (src == SQLITE_OK)
            src = sqlite3_bind_blob(st, 11, bt, (int)(x->n * 8), SQLITE_STATIC);
        if (src == SQLITE_OK)
            src = sqlite3_bind_blob(st, 12, bv, (int)(x->n * 8), SQLITE_STATIC);
        if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_DONE)
            src = SQLITE_OK;
        free(bt);
        free(bv);
        bt = bv = NULL;
        if (src != SQLITE_OK) {
            rc = aib_store_sqlerr_(s, src, "cannot insert a series", err);
            goto cleanup;
        }
    }
cleanup:
    free(bt);
    free(bv);
    sqlite3_finalize(st);
    return aib_store_tx_end_(s, rc, err);
}

static double col_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static void col_text(sqlite3_stmt *st, int i, char *buf, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(buf, len, "%s", t ? (const char *)t : "");
}

/* Reads one row's points; a blob whose length is not n float64s is corrupt. */
static int read_points(sqlite3_stmt *st, struct aib_series *x, int64_t n, struct aib_err *err)
{
    const unsigned char *bt = sqlite3_column_blob(st, 9);
    int lt = sqlite3_column_bytes(st, 9);
    const unsigned char *bv = sqlite3_column_blob(st, 10);
    int lv = sqlite3_column_bytes(st, 10);
    if (n < 0 || (int64_t)lt != n * 8 || (int64_t)lv != n * 8)
        return aib_err_set(err, AIB_EIO, "series %s.%s: stored points do not match its count",
                           x->source, x->name);
    for (int64_t k = 0; k < n; k++)
        if (aib_series_push(x, get_le64(bt + 8 * k), get_le64(bv + 8 * k)))
            return aib_err_set(err, AIB_ENOMEM, "out of memory loading series");
    return 0;
}

int aib_series_load(struct aib_store *s, int64_t run_id, struct aib_series_set *out,
                    struct aib_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    int src = sqlite3_prepare_v2(aib_store_db_(s),
                                 "SELECT result_id, source, name, unit, t0, n, min, mean, max, t, v"
                                 " FROM series WHERE run_id = ? ORDER BY result_id, id",
                                 -1, &st, NULL);
    if (src != SQLITE_OK)
        return aib_store_sqlerr_(s, src, "cannot prepare the series query", err);
    sqlite3_bind_int64(st, 1, run_id);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        char source[16], name[48], unit[16];
        col_text(st, 1, source, sizeof source);
        col_text(st, 2, name, sizeof name);
        col_text(st, 3, unit, sizeof unit);
        struct aib_series *x = aib_series_add(out, source, name, unit, col_real(st, 4));
        if (!x) {
            rc = aib_err_set(err, AIB_ENOMEM, "out of memory loading series");
            goto cleanup;
        }
        x->result_id = sqlite3_column_int64(st, 0);
        if ((rc = read_points(st, x, sqlite3_column_int64(st, 5), err)))
            goto cleanup;
        /* The stored summary is what was computed at write time. */
        x->min = col_real(st, 6);
        x->mean = col_real(st, 7);
        x->max = col_real(st, 8);
    }
    if (src != SQLITE_DONE)
        rc = aib_store_sqlerr_(s, src, "cannot read series", err);
cleanup:
    sqlite3_finalize(st);
    return rc;
}

/* --- the sink ------------------------------------------------------------- */

static int series_run_begin(void *ctx, struct aib_run *run, const struct aib_plan *plan,
                            struct aib_err *err)
{
    struct aib_series_sink *k = ctx;
    (void)plan;
    (void)err;
    k->run_id = run->id; /* set by the store sink, which runs first */
    return 0;
}

static int series_result(void *ctx, struct aib_result *r, struct aib_err *err)
{
    struct aib_series_sink *k = ctx;
    struct aib_series_set set = {0};
    int rc = aib_profilers_take_series(k->prof, &set);
    if (rc == 0 && set.len) {
        if (!r->id || !k->run_id)
            rc = aib_err_set(err, AIB_ERUN, "series sink: the result was not stored first");
        else {
            aib_series_set_result(&set, r->id);
            rc = aib_series_store(k->store, k->run_id, &set, err);
        }
    } else if (rc) {
        aib_err_set(err, rc, "out of memory taking series");
    }
    aib_series_free(&set);
    return rc;
}

void aib_series_sink_init(struct aib_series_sink *k, struct aib_sink *s, struct aib_store *store,
                          struct aib_profilers *prof)
{
    k->store = store;
    k->prof = prof;
    k->run_id = 0;
    *s = (struct aib_sink){.name = "series", .ctx = k, .run_begin = series_run_begin,
                           .result = series_result};
}
