/* What several unit tests share, header-only (static inline: every test
 * program is one .c file, see the Makefile's unit rule):
 *   - a fresh temporary directory that the teardown removes with all in
 *     it, a database path inside it and, for the store tests, the store
 *     opened on that path (cmocka setup/teardown functions);
 *   - one integer from a query, and a statement run, on a database file;
 *   - workload parameters from "k=v" strings;
 *   - one workload entry driven as the engine drives it.
 * Include after <cmocka.h> (and the headers cmocka needs). */
#ifndef AIB_TEST_FIXTURES_H
#define AIB_TEST_FIXTURES_H

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "../../results/store.h"
#include "../../workloads/workload.h"

struct aib_tmp {
    char dir[64];
    char db[80];         /* dir/r.db, not created */
    struct aib_store *s; /* open after aib_tmp_store_setup, else NULL */
};

/* A fresh directory from a mkdtemp template ("/tmp/aib-x-XXXXXX"), or NULL. */
static inline struct aib_tmp *aib_tmp_new(const char *tmpl)
{
    struct aib_tmp *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    snprintf(t->dir, sizeof t->dir, "%s", tmpl);
    if (!mkdtemp(t->dir)) {
        free(t);
        return NULL;
    }
    snprintf(t->db, sizeof t->db, "%s/r.db", t->dir);
    return t;
}

/* cmocka setup: *state is a struct aib_tmp with a fresh directory in /tmp. */
static inline int aib_tmp_setup(void **state)
{
    *state = aib_tmp_new("/tmp/aib-test-XXXXXX");
    return *state ? 0 : -1;
}

static inline int aib_tmp_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* cmocka teardown: closes the store, removes the directory and all in it
 * (made writable first: a test may have taken its write permission). */
static inline int aib_tmp_teardown(void **state)
{
    struct aib_tmp *t = *state;
    if (!t)
        return 0;
    aib_store_close(t->s);
    chmod(t->dir, 0700);
    nftw(t->dir, aib_tmp_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(t);
    *state = NULL;
    return 0;
}

/* cmocka setup: as aib_tmp_setup, with the store opened (created) on t->db. */
static inline int aib_tmp_store_setup(void **state)
{
    struct aib_err err = {0};
    if (aib_tmp_setup(state))
        return -1;
    struct aib_tmp *t = *state;
    if (aib_store_open(t->db, true, false, &t->s, &err)) {
        fprintf(stderr, "open %s: %s\n", t->db, err.msg);
        aib_tmp_teardown(state);
        return -1;
    }
    return 0;
}

/* The first column of the first row of `sql` on the database file `path`
 * (opened read-only), or -1 when there is no row. */
static inline int64_t aib_test_sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s on %s: %s", sql, path, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Runs `sql` (any statements) on the database file `path`. */
static inline void aib_test_sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s on %s: %s", sql, path, msg ? msg : sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* Sets each "k=v" of the NULL-terminated list `ap` in p, parameters of
 * `set` (over what p holds: start from aib_params_defaults); a value
 * refused fails the test. */
static inline void aib_test_params_va(const struct aib_param_set *set, void *p, va_list ap)
{
    struct aib_err err = {0};
    const char *kv;
    while ((kv = va_arg(ap, const char *))) {
        char k[64];
        const char *eq = strchr(kv, '=');
        if (!eq)
            fail_msg("'%s' is not k=v", kv);
        snprintf(k, sizeof k, "%.*s", (int)(eq - kv), kv);
        if (aib_params_set(set, p, k, eq + 1, &err))
            fail_msg("%s: %s", kv, err.msg);
    }
}

/* One entry as the engine runs it: validate, setup, then twice `iters`
 * iterations and verify, one 10 ms sample in r with the work per
 * iteration, the metrics hook into r, teardown. The caller checks r's
 * metrics and frees r. */
static inline void aib_test_entry(const struct aib_workload_ops *w, const struct aib_device *dev, const void *p,
                                  uint64_t iters, struct aib_result *r)
{
    struct aib_err err = {0};
    struct aib_work work;
    void *s = NULL;
    if (w->validate(dev, p, &err) || w->setup(dev, p, &s, &err))
        fail_msg("%s: %s", w->name, err.msg);
    for (int i = 0; i < 2; i++)
        if (w->run(s, iters, &err) || w->verify(s, &err))
            fail_msg("%s: %s", w->name, err.msg);
    if (aib_result_push_sample(r, 0.01))
        fail_msg("out of memory");
    w->work(p, &work);
    r->flops = work.flops;
    r->bytes = work.bytes;
    r->ops = work.ops;
    if (w->metrics(s, r, &err))
        fail_msg("%s metrics: %s", w->name, err.msg);
    w->teardown(s);
}

#endif
