/* SQLite results store: listing, loading and deleting runs, and resolving
 * the run references users type (id, UUID, UUID prefix, "last"). */
#include <ctype.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define RUN_COLS                                                                                   \
    "id, uuid, status, suite, cmdline, host, started, ended,"                                      \
    " (SELECT count(*) FROM results r WHERE r.run_id = runs.id), git_commit, git_branch,"        \
    " fingerprint"

#define RESULT_COLS                                                                                \
    "id, workload, device, params, status, error, iters_per_sample, n, min, max, mean, median,"    \
    " stddev, cv, p95, ci_lo, ci_hi, mad, outliers, flops, bytes, ops, throughput, unit,"          \
    " started, ended"

static void col_text(sqlite3_stmt *st, int i, char *buf, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(buf, len, "%s", t ? (const char *)t : "");
}

/* SQLite stores NaN as NULL: read NULL back as NaN so "not measured" survives. */
static double col_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static size_t col_size(sqlite3_stmt *st, int i)
{
    int64_t v = sqlite3_column_int64(st, i);
    return v > 0 ? (size_t)v : 0;
}

static void read_run(sqlite3_stmt *st, struct aib_run *run)
{
    run->id = sqlite3_column_int64(st, 0);
    col_text(st, 1, run->uuid, sizeof run->uuid);
    col_text(st, 2, run->status, sizeof run->status);
    col_text(st, 3, run->suite, sizeof run->suite);
    col_text(st, 4, run->cmdline, sizeof run->cmdline);
    col_text(st, 5, run->host, sizeof run->host);
    run->started = col_real(st, 6);
    run->ended = col_real(st, 7);
    run->nresults = col_size(st, 8);
    col_text(st, 9, run->git_commit, sizeof run->git_commit);
    col_text(st, 10, run->git_branch, sizeof run->git_branch);
    col_text(st, 11, run->fingerprint, sizeof run->fingerprint);
}

static void read_result(sqlite3_stmt *st, struct aib_result *r)
{
    int i = 0;
    r->id = sqlite3_column_int64(st, i++);
    col_text(st, i++, r->workload, sizeof r->workload);
    col_text(st, i++, r->device, sizeof r->device);
    col_text(st, i++, r->params, sizeof r->params);
    col_text(st, i++, r->status, sizeof r->status);
    col_text(st, i++, r->error, sizeof r->error);
    r->iters_per_sample = (uint64_t)sqlite3_column_int64(st, i++);
    r->st.n = col_size(st, i++);
    r->st.min = col_real(st, i++);
    r->st.max = col_real(st, i++);
    r->st.mean = col_real(st, i++);
    r->st.median = col_real(st, i++);
    r->st.stddev = col_real(st, i++);
    r->st.cv = col_real(st, i++);
    r->st.p95 = col_real(st, i++);
    r->st.ci_lo = col_real(st, i++);
    r->st.ci_hi = col_real(st, i++);
    r->st.mad = col_real(st, i++);
    r->st.outliers = col_size(st, i++);
    r->flops = col_real(st, i++);
    r->bytes = col_real(st, i++);
    r->ops = col_real(st, i++);
    r->throughput = col_real(st, i++);
    col_text(st, i++, r->unit, sizeof r->unit);
    r->started = col_real(st, i++);
    r->ended = col_real(st, i++);
}

static int prepare(struct aib_store *s, const char *sql, sqlite3_stmt **st, struct aib_err *err)
{
    int src = sqlite3_prepare_v2(aib_store_db_(s), sql, -1, st, NULL);
    return src == SQLITE_OK ? 0 : aib_store_sqlerr_(s, src, "cannot prepare a query", err);
}

/* Steps a query: 1 for a row, 0 when done, or a negative aib code. */
static int next_row(struct aib_store *s, sqlite3_stmt *st, struct aib_err *err)
{
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        return 1;
    if (src == SQLITE_DONE)
        return 0;
    return aib_store_sqlerr_(s, src, "query failed", err);
}

/* Grows an array of `size`-byte elements, zeroing the new part. */
static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *n = realloc(*arr, ncap * size);
    if (!n)
        return AIB_ENOMEM;
    memset((char *)n + *cap * size, 0, (ncap - *cap) * size);
    *arr = n;
    *cap = ncap;
    return 0;
}

int aib_store_list_runs(struct aib_store *s, struct aib_run **runs, size_t *n, struct aib_err *err)
{
    sqlite3_stmt *st = NULL;
    struct aib_run *arr = NULL;
    size_t len = 0, cap = 0;
    int rc, row;
    *runs = NULL;
    *n = 0;
    if ((rc = prepare(s, "SELECT " RUN_COLS " FROM runs ORDER BY id DESC", &st, err)))
        goto cleanup;
    while ((row = next_row(s, st, err)) == 1) {
        if (grow((void **)&arr, &cap, len + 1, sizeof *arr)) {
            rc = aib_err_set(err, AIB_ENOMEM, "out of memory listing runs");
            goto cleanup;
        }
        read_run(st, &arr[len++]);
    }
    rc = row < 0 ? row : 0;
cleanup:
    sqlite3_finalize(st);
    if (rc) {
        aib_runs_free(arr, len);
    } else {
        *runs = arr;
        *n = len;
    }
    return rc;
}

void aib_runs_free(struct aib_run *runs, size_t n)
{
    if (!runs)
        return;
    for (size_t i = 0; i < n; i++)
        aib_run_free(&runs[i]);
    free(runs);
}

/* Runs one query bound with an optional id or text, returning the first
 * column of its row (and the second, if wanted). *found says a row came. */
static int lookup(struct aib_store *s, const char *sql, int64_t id, const char *text,
                  int64_t *v0, int64_t *v1, bool *found, struct aib_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(s, sql, &st, err);
    if (rc)
        goto cleanup;
    int src = sqlite3_bind_parameter_count(st) == 0 ? SQLITE_OK
              : text ? sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC)
                     : sqlite3_bind_int64(st, 1, id);
    if (src != SQLITE_OK) {
        rc = aib_store_sqlerr_(s, src, "cannot bind a value", err);
        goto cleanup;
    }
    rc = next_row(s, st, err);
    *found = rc == 1 && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (rc == 1) {
        *v0 = sqlite3_column_int64(st, 0);
        if (v1)
            *v1 = sqlite3_column_int64(st, 1);
        rc = 0;
    }
cleanup:
    sqlite3_finalize(st);
    return rc;
}

int aib_store_resolve_ref(struct aib_store *s, const char *ref, int64_t *run_id,
                          struct aib_err *err)
{
    char prefix[40];
    size_t len = ref ? strlen(ref) : 0, digits = 0, hex = 0;
    int64_t v = 0, count = 0;
    bool found = false;
    int rc;
    if (len == 0)
        return aib_err_set(err, AIB_EUSAGE, "empty run reference");
    if (strcmp(ref, "last") == 0) {
        rc = lookup(s, "SELECT max(id) FROM runs", 0, NULL, run_id, NULL, &found, err);
        if (rc == 0 && !found)
            rc = aib_err_set(err, AIB_EUSAGE, "no runs in %s", aib_store_path(s));
        return rc;
    }
    for (size_t i = 0; i < len; i++) {
        digits += isdigit((unsigned char)ref[i]) != 0;
        hex += isxdigit((unsigned char)ref[i]) || ref[i] == '-';
    }
    /* Digits name an id first: ids are what the tables show. */
    if (digits == len && len <= 18) {
        rc = lookup(s, "SELECT id FROM runs WHERE id = ?", strtoll(ref, NULL, 10), NULL, run_id,
                    NULL, &found, err);
        if (rc || found)
            return rc;
    }
    /* Then a tag (`aibench tag`): names start with a letter, so never an id. */
    rc = lookup(s, "SELECT run_id FROM tags WHERE name = ?", 0, ref, run_id, NULL, &found, err);
    if (rc || found)
        return rc;
    if (hex != len || len > 36 || len < 4) {
        if (hex == len && len < 4 && digits != len)
            return aib_err_set(err, AIB_EUSAGE,
                               "run reference '%s' is too short: give an id, 'last' or at least "
                               "4 characters of the UUID",
                               ref);
        return aib_err_set(err, AIB_EUSAGE, "no run '%s' in %s", ref, aib_store_path(s));
    }
    for (size_t i = 0; i <= len; i++) /* UUIDs are stored in lower case */
        prefix[i] = (char)tolower((unsigned char)ref[i]);
    rc = lookup(s, "SELECT count(*), min(id) FROM runs WHERE substr(uuid, 1, length(?1)) = ?1", 0,
                prefix, &count, &v, &found, err);
    if (rc)
        return rc;
    if (count == 0)
        return aib_err_set(err, AIB_EUSAGE, "no run '%s' in %s", ref, aib_store_path(s));
    if (count > 1)
        return aib_err_set(err, AIB_EUSAGE,
                           "run reference '%s' is ambiguous: it matches %lld runs in %s; give "
                           "more characters",
                           ref, (long long)count, aib_store_path(s));
    *run_id = v;
    return 0;
}

/* Reads the env of run `id` into run->env, in insertion order. */
static int load_env(struct aib_store *s, int64_t id, struct aib_run *run, struct aib_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc, row;
    if ((rc = prepare(s, "SELECT key, value FROM run_env WHERE run_id = ? ORDER BY rowid", &st, err)))
        goto cleanup;
    sqlite3_bind_int64(st, 1, id);
    while ((row = next_row(s, st, err)) == 1) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        if (aib_kv_set(&run->env, k ? k : "", v)) {
            rc = aib_err_set(err, AIB_ENOMEM, "out of memory loading a run");
            goto cleanup;
        }
    }
    rc = row < 0 ? row : 0;
cleanup:
    sqlite3_finalize(st);
    return rc;
}

/* Reads the results of run `id` with their samples, ordered by id. */
static int load_results(struct aib_store *s, int64_t id, struct aib_result **out, size_t *nout,
                        struct aib_err *err)
{
    sqlite3_stmt *st = NULL, *smp = NULL, *met = NULL;
    struct aib_result *arr = NULL;
    size_t len = 0, cap = 0;
    int rc, row;
    if ((rc = prepare(s, "SELECT " RESULT_COLS " FROM results WHERE run_id = ? ORDER BY id", &st,
                      err)) ||
        (rc = prepare(s, "SELECT seconds FROM samples WHERE result_id = ? ORDER BY idx", &smp,
                      err)) ||
        (rc = prepare(s,
                      "SELECT name, value, unit, valid, note FROM result_metrics"
                      " WHERE result_id = ? ORDER BY rowid",
                      &met, err)))
        goto cleanup;
    sqlite3_bind_int64(st, 1, id);
    while ((row = next_row(s, st, err)) == 1) {
        if (grow((void **)&arr, &cap, len + 1, sizeof *arr)) {
            rc = aib_err_set(err, AIB_ENOMEM, "out of memory loading results");
            goto cleanup;
        }
        struct aib_result *r = &arr[len++];
        read_result(st, r);
        sqlite3_reset(smp);
        sqlite3_bind_int64(smp, 1, r->id);
        int srow;
        while ((srow = next_row(s, smp, err)) == 1) {
            if (aib_result_push_sample(r, col_real(smp, 0))) {
                rc = aib_err_set(err, AIB_ENOMEM, "out of memory loading samples");
                goto cleanup;
            }
        }
        if (srow < 0) {
            rc = srow;
            goto cleanup;
        }
        sqlite3_reset(met);
        sqlite3_bind_int64(met, 1, r->id);
        while ((srow = next_row(s, met, err)) == 1) {
            const unsigned char *name = sqlite3_column_text(met, 0);
            const unsigned char *unit = sqlite3_column_text(met, 2);
            const unsigned char *note = sqlite3_column_text(met, 4);
            if (aib_result_set_metric(r, name ? (const char *)name : "", col_real(met, 1),
                                      unit ? (const char *)unit : "", sqlite3_column_int(met, 3),
                                      note ? (const char *)note : "")) {
                rc = aib_err_set(err, AIB_ENOMEM, "out of memory loading metrics");
                goto cleanup;
            }
        }
        if (srow < 0) {
            rc = srow;
            goto cleanup;
        }
    }
    rc = row < 0 ? row : 0;
cleanup:
    sqlite3_finalize(st);
    sqlite3_finalize(smp);
    sqlite3_finalize(met);
    if (rc) {
        aib_results_free(arr, len);
    } else {
        *out = arr;
        *nout = len;
    }
    return rc;
}

int aib_store_load_run(struct aib_store *s, const char *ref, struct aib_run *run,
                       struct aib_result **results, size_t *nresults, struct aib_err *err)
{
    sqlite3 *db = aib_store_db_(s);
    sqlite3_stmt *st = NULL;
    struct aib_result *res = NULL;
    size_t nres = 0;
    int64_t id = 0;
    int rc, row;
    memset(run, 0, sizeof *run);
    *results = NULL;
    *nresults = 0;
    /* One read transaction: a consistent snapshot even if another process
     * deletes the run between our queries. */
    int src = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    if (src != SQLITE_OK)
        return aib_store_sqlerr_(s, src, "cannot start a read transaction", err);
    if ((rc = aib_store_resolve_ref(s, ref, &id, err)))
        goto cleanup;
    if ((rc = prepare(s, "SELECT " RUN_COLS " FROM runs WHERE id = ?", &st, err)))
        goto cleanup;
    sqlite3_bind_int64(st, 1, id);
    row = next_row(s, st, err);
    if (row <= 0) {
        rc = row < 0 ? row : aib_err_set(err, AIB_EUSAGE, "no run '%s' in %s", ref, aib_store_path(s));
        goto cleanup;
    }
    read_run(st, run);
    if ((rc = load_env(s, id, run, err)) || (rc = load_results(s, id, &res, &nres, err)))
        goto cleanup;
    run->nresults = nres;
cleanup:
    sqlite3_finalize(st);
    sqlite3_exec(db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
    if (rc) {
        aib_run_free(run);
        memset(run, 0, sizeof *run);
    } else {
        *results = res;
        *nresults = nres;
    }
    return rc;
}

int aib_store_delete_run(struct aib_store *s, const char *ref, struct aib_err *err)
{
    sqlite3_stmt *st = NULL;
    int64_t id = 0;
    int rc = aib_store_tx_begin_(s, err);
    if (rc)
        return rc;
    /* Resolved under the write lock so "last" cannot move underneath us. */
    if ((rc = aib_store_resolve_ref(s, ref, &id, err)) ||
        (rc = prepare(s, "DELETE FROM runs WHERE id = ?", &st, err)))
        goto cleanup;
    sqlite3_bind_int64(st, 1, id);
    /* Foreign keys (on for every connection) cascade to env, results, samples. */
    if ((rc = next_row(s, st, err)) < 0)
        goto cleanup;
    rc = sqlite3_changes(aib_store_db_(s)) == 1
             ? 0
             : aib_err_set(err, AIB_EUSAGE, "no run '%s' in %s", ref, aib_store_path(s));
cleanup:
    sqlite3_finalize(st);
    return aib_store_tx_end_(s, rc, err);
}

int aib_store_tags_list(struct aib_store *s, struct aib_tag **tags, size_t *n,
                        struct aib_err *err)
{
    sqlite3_stmt *st = NULL;
    struct aib_tag *arr = NULL;
    size_t len = 0, cap = 0;
    int rc, row;
    *tags = NULL;
    *n = 0;
    if ((rc = prepare(s,
                      "SELECT t.name, t.run_id, r.uuid, r.suite, t.created FROM tags t"
                      " JOIN runs r ON r.id = t.run_id ORDER BY t.name",
                      &st, err)))
        goto cleanup;
    while ((row = next_row(s, st, err)) == 1) {
        if (grow((void **)&arr, &cap, len + 1, sizeof *arr)) {
            rc = aib_err_set(err, AIB_ENOMEM, "out of memory listing tags");
            goto cleanup;
        }
        struct aib_tag *t = &arr[len++];
        col_text(st, 0, t->name, sizeof t->name);
        t->run_id = sqlite3_column_int64(st, 1);
        col_text(st, 2, t->uuid, sizeof t->uuid);
        col_text(st, 3, t->suite, sizeof t->suite);
        t->created = col_real(st, 4);
    }
    rc = row < 0 ? row : 0;
cleanup:
    sqlite3_finalize(st);
    if (rc) {
        free(arr);
    } else {
        *tags = arr;
        *n = len;
    }
    return rc;
}

int aib_store_find_last_complete(struct aib_store *s, const char *suite, const char *fingerprint,
                                 int64_t *run_id, bool *found, struct aib_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(s,
                     "SELECT id FROM runs WHERE suite = ? AND fingerprint = ? AND status = 'ok'"
                     " ORDER BY id DESC LIMIT 1",
                     &st, err);
    *found = false;
    if (rc)
        goto cleanup;
    int src = sqlite3_bind_text(st, 1, suite, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(st, 2, fingerprint, -1, SQLITE_STATIC);
    if (src != SQLITE_OK) {
        rc = aib_store_sqlerr_(s, src, "cannot bind a value", err);
        goto cleanup;
    }
    rc = next_row(s, st, err);
    if (rc == 1) {
        *run_id = sqlite3_column_int64(st, 0);
        *found = true;
        rc = 0;
    }
cleanup:
    sqlite3_finalize(st);
    return rc;
}
