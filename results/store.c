/* SQLite results store: the write path. Every write is one BEGIN IMMEDIATE
 * transaction, retried while another process holds the write lock.
 * Opening and migrations are in store_open.c; reads, reference resolution
 * and delete in store_read.c. */
#include "store.h"

#include <ctype.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "store_internal.h"

/* BEGIN IMMEDIATE already waits the connection's busy timeout (set in
 * store_open.c); a few more tries ride out a long checkpoint or a slow
 * writer in another process. */
#define AIB_BUSY_TRIES 3

/* --- write transactions ---------------------------------------------- */

int aib_store_tx_begin_(struct aib_store *s, struct aib_err *err)
{
    int rc = SQLITE_BUSY;
    for (int i = 0; i < AIB_BUSY_TRIES && (rc & 0xff) == SQLITE_BUSY; i++)
        rc = aib_store_exec_(aib_store_db_(s), "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return aib_store_sqlerr_(s, rc, "cannot start a write transaction", err);
    return 0;
}

int aib_store_tx_end_(struct aib_store *s, int rc, struct aib_err *err)
{
    sqlite3 *db = aib_store_db_(s);
    if (rc == 0) {
        int src = aib_store_exec_(db, "COMMIT");
        if (src == SQLITE_OK)
            return 0;
        rc = aib_store_sqlerr_(s, src, "cannot commit", err);
    }
    /* A failed COMMIT can leave the transaction open: never leave it dangling. */
    if (!sqlite3_get_autocommit(db))
        aib_store_exec_(db, "ROLLBACK");
    return rc;
}

/* --- writes ------------------------------------------------------------- */

/* Binds parameters left to right, keeping the first failure. */
struct binder {
    sqlite3_stmt *st;
    int i, rc;
};

static void b_text(struct binder *b, const char *v)
{
    b->i++;
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_text(b->st, b->i, v ? v : "", -1, SQLITE_STATIC);
}

static void b_real(struct binder *b, double v)
{
    b->i++;
    if (b->rc == SQLITE_OK) /* SQLite stores NaN as NULL; reads map NULL back to NaN */
        b->rc = sqlite3_bind_double(b->st, b->i, v);
}

static void b_int(struct binder *b, int64_t v)
{
    b->i++;
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_int64(b->st, b->i, v);
}

static int prepare(struct aib_store *s, const char *sql, sqlite3_stmt **st, struct aib_err *err)
{
    int src = sqlite3_prepare_v2(aib_store_db_(s), sql, -1, st, NULL);
    return src == SQLITE_OK ? 0 : aib_store_sqlerr_(s, src, "cannot prepare a statement", err);
}

/* Steps a bound insert or update to completion. */
static int step_done(struct aib_store *s, struct binder *b, const char *what, struct aib_err *err)
{
    int src = b->rc;
    if (src == SQLITE_OK) {
        src = sqlite3_step(b->st);
        if (src == SQLITE_DONE)
            src = SQLITE_OK;
    }
    return src == SQLITE_OK ? 0 : aib_store_sqlerr_(s, src, what, err);
}

static int make_uuid(char *out, size_t len, struct aib_err *err)
{
    unsigned char b[16];
    size_t got = 0;
    char eb[128];
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        /* GNU strerror_r: thread-safe, may return a static string instead of eb. */
        if (n < 0)
            return aib_err_set(err, AIB_EIO, "cannot read random bytes for a run id: %s",
                               strerror_r(errno, eb, sizeof eb));
        got += (size_t)n;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, len,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}

int aib_store_run_begin(struct aib_store *s, struct aib_run *run, struct aib_err *err)
{
    sqlite3_stmt *st = NULL, *env = NULL;
    struct binder b = {0};
    int64_t id = 0;
    int rc = 0;
    if (!run->uuid[0] && (rc = make_uuid(run->uuid, sizeof run->uuid, err)))
        return rc;
    snprintf(run->status, sizeof run->status, "%s", AIB_STATUS_RUNNING);
    rc = aib_store_tx_begin_(s, err);
    if (rc)
        return rc;
    rc = prepare(s,
                 "INSERT INTO runs(uuid, status, suite, cmdline, host, started, ended,"
                 " git_commit, git_branch, fingerprint) VALUES(?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
                 &st, err);
    if (rc)
        goto cleanup;
    b = (struct binder){.st = st};
    b_text(&b, run->uuid);
    b_text(&b, run->status);
    b_text(&b, run->suite);
    b_text(&b, run->cmdline);
    b_text(&b, run->host);
    b_real(&b, run->started);
    b_text(&b, run->git_commit);
    b_text(&b, run->git_branch);
    b_text(&b, run->fingerprint);
    if ((rc = step_done(s, &b, "cannot insert the run", err)))
        goto cleanup;
    id = sqlite3_last_insert_rowid(aib_store_db_(s));
    if ((rc = prepare(s, "INSERT INTO run_env(run_id, key, value) VALUES(?, ?, ?)", &env, err)))
        goto cleanup;
    for (size_t i = 0; i < run->env.len; i++) {
        sqlite3_reset(env);
        b = (struct binder){.st = env};
        b_int(&b, id);
        b_text(&b, run->env.items[i].key);
        b_text(&b, run->env.items[i].value);
        if ((rc = step_done(s, &b, "cannot insert the run environment", err)))
            goto cleanup;
    }
cleanup:
    sqlite3_finalize(st);
    sqlite3_finalize(env);
    rc = aib_store_tx_end_(s, rc, err);
    if (rc == 0)
        run->id = id;
    return rc;
}

int aib_store_result_add(struct aib_store *s, int64_t run_id, struct aib_result *r,
                         struct aib_err *err)
{
    sqlite3_stmt *st = NULL, *smp = NULL, *met = NULL;
    struct binder b = {0};
    int64_t id = 0;
    int rc = aib_store_tx_begin_(s, err);
    if (rc)
        return rc;
    rc = prepare(s,
                 "INSERT INTO results(run_id, workload, device, params, status, error,"
                 " iters_per_sample, n, min, max, mean, median, stddev, cv, p95, ci_lo, ci_hi,"
                 " mad, outliers, flops, bytes, ops, throughput, unit, started, ended)"
                 " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                 " ?, ?, ?)",
                 &st, err);
    if (rc)
        goto cleanup;
    b = (struct binder){.st = st};
    b_int(&b, run_id);
    b_text(&b, r->workload);
    b_text(&b, r->device);
    b_text(&b, r->params);
    b_text(&b, r->status);
    b_text(&b, r->error);
    b_int(&b, (int64_t)r->iters_per_sample);
    b_int(&b, (int64_t)r->st.n);
    b_real(&b, r->st.min);
    b_real(&b, r->st.max);
    b_real(&b, r->st.mean);
    b_real(&b, r->st.median);
    b_real(&b, r->st.stddev);
    b_real(&b, r->st.cv);
    b_real(&b, r->st.p95);
    b_real(&b, r->st.ci_lo);
    b_real(&b, r->st.ci_hi);
    b_real(&b, r->st.mad);
    b_int(&b, (int64_t)r->st.outliers);
    b_real(&b, r->flops);
    b_real(&b, r->bytes);
    b_real(&b, r->ops);
    b_real(&b, r->throughput);
    b_text(&b, r->unit);
    b_real(&b, r->started);
    b_real(&b, r->ended);
    if ((rc = step_done(s, &b, "cannot insert the result", err)))
        goto cleanup;
    id = sqlite3_last_insert_rowid(aib_store_db_(s));
    if ((rc = prepare(s, "INSERT INTO samples(result_id, idx, seconds) VALUES(?, ?, ?)", &smp, err)))
        goto cleanup;
    for (size_t i = 0; i < r->nsamples; i++) {
        sqlite3_reset(smp);
        b = (struct binder){.st = smp};
        b_int(&b, id);
        b_int(&b, (int64_t)i);
        b_real(&b, r->samples[i]);
        if ((rc = step_done(s, &b, "cannot insert a sample", err)))
            goto cleanup;
    }
    if ((rc = prepare(s,
                      "INSERT INTO result_metrics(result_id, name, value, unit, valid, note)"
                      " VALUES(?, ?, ?, ?, ?, ?)",
                      &met, err)))
        goto cleanup;
    for (size_t i = 0; i < r->nmetrics; i++) {
        const struct aib_metric *m = &r->metrics[i];
        sqlite3_reset(met);
        b = (struct binder){.st = met};
        b_int(&b, id);
        b_text(&b, m->name);
        b_real(&b, m->value);
        b_text(&b, m->unit);
        b_int(&b, m->valid);
        b_text(&b, m->note);
        if ((rc = step_done(s, &b, "cannot insert a metric", err)))
            goto cleanup;
    }
cleanup:
    sqlite3_finalize(st);
    sqlite3_finalize(smp);
    sqlite3_finalize(met);
    rc = aib_store_tx_end_(s, rc, err);
    if (rc == 0)
        r->id = id;
    return rc;
}

int aib_store_run_end(struct aib_store *s, const struct aib_run *run, struct aib_err *err)
{
    sqlite3_stmt *st = NULL;
    struct binder b = {0};
    int rc = aib_store_tx_begin_(s, err);
    if (rc)
        return rc;
    if ((rc = prepare(s, "UPDATE runs SET status = ?, ended = ? WHERE id = ?", &st, err)))
        goto cleanup;
    b = (struct binder){.st = st};
    b_text(&b, run->status);
    b_real(&b, run->ended);
    b_int(&b, run->id);
    if ((rc = step_done(s, &b, "cannot update the run", err)))
        goto cleanup;
    if (sqlite3_changes(aib_store_db_(s)) != 1)
        rc = aib_err_set(err, AIB_EUSAGE, "no run with id %lld in %s", (long long)run->id,
                         aib_store_path(s));
cleanup:
    sqlite3_finalize(st);
    return aib_store_tx_end_(s, rc, err);
}

/* --- tags --------------------------------------------------------------- */

int aib_store_tag_check_name(const char *name, struct aib_err *err)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > 64)
        return aib_err_set(err, AIB_EUSAGE, "bad tag name '%s': give 1 to 64 characters",
                           name ? name : "");
    /* A letter first keeps tags apart from ids; "last" is taken. */
    bool ok = isalpha((unsigned char)name[0]) && strcmp(name, "last") != 0;
    for (size_t i = 0; ok && i < len; i++)
        ok = isalnum((unsigned char)name[i]) || strchr("._/-", name[i]);
    if (!ok)
        return aib_err_set(err, AIB_EUSAGE,
                           "bad tag name '%s': use letters, digits and . _ / -, starting with a "
                           "letter (and not 'last')",
                           name);
    return 0;
}

int aib_store_tag_set(struct aib_store *s, const char *ref, const char *name, bool force,
                      int64_t *run_id, struct aib_err *err)
{
    sqlite3_stmt *st = NULL;
    struct binder b = {0};
    int64_t id = 0;
    int rc = aib_store_tag_check_name(name, err);
    if (rc || (rc = aib_store_tx_begin_(s, err)))
        return rc;
    /* Resolved under the write lock, so "last" cannot move underneath us. */
    if ((rc = aib_store_resolve_ref(s, ref, &id, err)))
        goto cleanup;
    if ((rc = prepare(s, "SELECT run_id FROM tags WHERE name = ?", &st, err)))
        goto cleanup;
    b = (struct binder){.st = st};
    b_text(&b, name);
    int src = b.rc == SQLITE_OK ? sqlite3_step(st) : b.rc;
    if (src == SQLITE_ROW && sqlite3_column_int64(st, 0) != id && !force) {
        rc = aib_err_set(err, AIB_EUSAGE,
                         "tag '%s' already names run %lld (use --force to move it to run %lld)",
                         name, (long long)sqlite3_column_int64(st, 0), (long long)id);
        goto cleanup;
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE) {
        rc = aib_store_sqlerr_(s, src, "cannot read the tags", err);
        goto cleanup;
    }
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = prepare(s, "INSERT OR REPLACE INTO tags(name, run_id, created) VALUES(?, ?, ?)",
                      &st, err)))
        goto cleanup;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    b = (struct binder){.st = st};
    b_text(&b, name);
    b_int(&b, id);
    b_real(&b, (double)ts.tv_sec + ts.tv_nsec * 1e-9);
    rc = step_done(s, &b, "cannot write the tag", err);
cleanup:
    sqlite3_finalize(st);
    rc = aib_store_tx_end_(s, rc, err);
    if (rc == 0)
        *run_id = id;
    return rc;
}

int aib_store_tag_delete(struct aib_store *s, const char *name, struct aib_err *err)
{
    sqlite3_stmt *st = NULL;
    struct binder b = {0};
    int rc = aib_store_tx_begin_(s, err);
    if (rc)
        return rc;
    if ((rc = prepare(s, "DELETE FROM tags WHERE name = ?", &st, err)))
        goto cleanup;
    b = (struct binder){.st = st};
    b_text(&b, name);
    if ((rc = step_done(s, &b, "cannot delete the tag", err)))
        goto cleanup;
    if (sqlite3_changes(aib_store_db_(s)) != 1)
        rc = aib_err_set(err, AIB_EUSAGE, "no tag '%s' in %s", name, aib_store_path(s));
cleanup:
    sqlite3_finalize(st);
    return aib_store_tx_end_(s, rc, err);
}
