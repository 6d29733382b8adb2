/* The SQLite store against real database files in a fresh temporary
 * directory: schema and modes, round trips, references, cascades, refusing
 * foreign files without touching them, and two writers at once. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../results/store.h"
#include "fixtures.h"

#define APP_ID 0x41494221


static struct aib_store *open_ok(const char *path)
{
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    int rc = aib_store_open(path, true, false, &s, &err);
    if (rc)
        fail_msg("open %s: %s", path, err.msg);
    return s;
}

static int file_mode(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* Whole file contents, for before/after comparisons. Caller frees. */
static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 16, fp);
    fclose(fp);
    return buf;
}

static void write_bytes(const char *path, const void *buf, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(buf, 1, len, fp), len);
    fclose(fp);
}

/* Opening must fail with AIB_EUSAGE mentioning `want` and the path, and
 * leave the file exactly as it was, with no -wal, -shm or -journal beside it. */
static void assert_refused(const char *path, const char *want)
{
    size_t n1, n2;
    char side[256];
    char *before = slurp(path, &n1);
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    for (int create = 0; create < 2; create++) {
        assert_int_equal(aib_store_open(path, create, false, &s, &err), AIB_EUSAGE);
        assert_null(s);
        if (!strstr(err.msg, want) || !strstr(err.msg, path))
            fail_msg("message '%s' lacks '%s' or the path", err.msg, want);
    }
    char *after = slurp(path, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(before, after, n1);
    static const char *const sfx[] = {"-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", path, sfx[i]);
        assert_false(exists(side));
    }
    free(before);
    free(after);
}

static void fill_result(struct aib_result *r, const char *params, size_t nsamples)
{
    memset(r, 0, sizeof *r);
    snprintf(r->workload, sizeof r->workload, "matmul");
    snprintf(r->device, sizeof r->device, "cpu");
    snprintf(r->params, sizeof r->params, "%s", params);
    snprintf(r->status, sizeof r->status, AIB_STATUS_OK);
    snprintf(r->unit, sizeof r->unit, "GFLOP/s");
    for (size_t i = 0; i < nsamples; i++)
        assert_int_equal(aib_result_push_sample(r, 1e-3 * (1 + 0.01 * (double)i)), 0);
    r->iters_per_sample = 7;
    r->st = (struct aib_stats){.n = nsamples, .min = 1e-3, .max = 1.1e-3, .mean = 1.05e-3,
                               .median = 1.04e-3, .stddev = 1e-5, .cv = 0.01, .p95 = 1.09e-3,
                               .ci_lo = 1.03e-3, .ci_hi = 1.05e-3, .mad = 2e-6, .outliers = 1};
    r->flops = 2.0 * 64 * 64 * 64;
    r->throughput = r->flops / r->st.median / 1e9;
    r->started = 1700000000.25;
    r->ended = 1700000001.5;
}

static int64_t add_run(struct aib_store *s, const char *uuid, int nresults)
{
    struct aib_run run = {0};
    struct aib_result r;
    struct aib_err err = {0};
    if (uuid)
        snprintf(run.uuid, sizeof run.uuid, "%s", uuid);
    snprintf(run.host, sizeof run.host, "testhost");
    run.started = 1700000000;
    if (aib_store_run_begin(s, &run, &err))
        fail_msg("run_begin: %s", err.msg);
    for (int i = 0; i < nresults; i++) {
        char p[32];
        snprintf(p, sizeof p, "n=%d", 64 << i);
        fill_result(&r, p, 3);
        if (aib_store_result_add(s, run.id, &r, &err))
            fail_msg("result_add: %s", err.msg);
        aib_result_free(&r);
    }
    snprintf(run.status, sizeof run.status, AIB_STATUS_OK);
    run.ended = 1700000002;
    if (aib_store_run_end(s, &run, &err))
        fail_msg("run_end: %s", err.msg);
    aib_run_free(&run);
    return run.id;
}

static void test_schema_created(void **state)
{
    struct aib_tmp *f = *state;
    char side[160];
    struct aib_store *s = open_ok(f->db);
    assert_int_equal(file_mode(f->db), 0600);
    /* While open in WAL mode the side files exist; none is group/world readable. */
    snprintf(side, sizeof side, "%s-wal", f->db);
    assert_true(exists(side));
    assert_int_equal(file_mode(side) & 077, 0);
    snprintf(side, sizeof side, "%s-shm", f->db);
    assert_int_equal(file_mode(side) & 077, 0);
    assert_string_equal(aib_store_path(s), f->db);
    assert_int_equal(aib_test_sql_int(f->db, "PRAGMA user_version"), aib_store_schema_version());
    assert_int_equal(aib_test_sql_int(f->db, "PRAGMA application_id"), APP_ID);
    assert_int_equal(aib_test_sql_int(f->db, "SELECT count(*) FROM sqlite_master WHERE name IN"
                                    " ('runs', 'run_env', 'results', 'samples', 'results_run')"),
                     5);
    aib_store_close(s);
    /* Reopening an up-to-date database changes nothing and works. */
    s = open_ok(f->db);
    aib_store_close(s);
    assert_int_equal(
        aib_test_sql_int(f->db, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
}

static void test_empty_file_is_initialized(void **state)
{
    struct aib_tmp *f = *state;
    write_bytes(f->db, "", 0);
    struct aib_store *s = open_ok(f->db);
    aib_store_close(s);
    assert_int_equal(aib_test_sql_int(f->db, "PRAGMA user_version"), aib_store_schema_version());
}

static void test_roundtrip(void **state)
{
    struct aib_tmp *f = *state;
    struct aib_store *s = open_ok(f->db);
    struct aib_run run = {0}, got;
    struct aib_result r[2], *res = NULL;
    struct aib_err err = {0};
    size_t n = 0;
    snprintf(run.suite, sizeof run.suite, "quick");
    snprintf(run.cmdline, sizeof run.cmdline, "aibench run --suite quick");
    snprintf(run.host, sizeof run.host, "box");
    run.started = 1700000000.5;
    assert_int_equal(aib_kv_set(&run.env, "cpu.model", "Test CPU"), 0);
    assert_int_equal(aib_kv_set(&run.env, "aibench.version", "0.1"), 0);
    assert_int_equal(aib_store_run_begin(s, &run, &err), 0);
    assert_true(run.id > 0);
    assert_int_equal(strlen(run.uuid), 36);
    assert_int_equal(run.uuid[14], '4');
    assert_string_equal(run.status, AIB_STATUS_RUNNING);

    fill_result(&r[0], "n=64,precision=fp32", 20);
    fill_result(&r[1], "n=128,precision=fp32", 0);
    snprintf(r[1].status, sizeof r[1].status, AIB_STATUS_FAILED);
    snprintf(r[1].error, sizeof r[1].error, "wrong answer at C[3][4]");
    r[1].st = (struct aib_stats){.median = NAN, .ci_lo = NAN, .ci_hi = NAN};
    assert_int_equal(aib_store_result_add(s, run.id, &r[0], &err), 0);
    assert_int_equal(aib_store_result_add(s, run.id, &r[1], &err), 0);
    assert_true(r[1].id > r[0].id);
    snprintf(run.status, sizeof run.status, AIB_STATUS_FAILED);
    run.ended = 1700000009.75;
    assert_int_equal(aib_store_run_end(s, &run, &err), 0);

    char ref[24];
    snprintf(ref, sizeof ref, "%lld", (long long)run.id);
    assert_int_equal(aib_store_load_run(s, ref, &got, &res, &n, &err), 0);
    assert_int_equal(got.id, run.id);
    assert_string_equal(got.uuid, run.uuid);
    assert_string_equal(got.status, "failed");
    assert_string_equal(got.suite, "quick");
    assert_string_equal(got.cmdline, run.cmdline);
    assert_string_equal(got.host, "box");
    assert_true(got.started == run.started && got.ended == run.ended);
    assert_int_equal(got.env.len, 2);
    assert_string_equal(got.env.items[0].key, "cpu.model"); /* insertion order kept */
    assert_string_equal(aib_kv_get(&got.env, "aibench.version"), "0.1");
    assert_int_equal(n, 2);
    assert_int_equal(got.nresults, 2);
    assert_int_equal(res[0].id, r[0].id);
    assert_string_equal(res[0].params, "n=64,precision=fp32");
    assert_string_equal(res[0].unit, "GFLOP/s");
    assert_int_equal(res[0].iters_per_sample, 7);
    assert_int_equal(res[0].nsamples, 20);
    assert_memory_equal(res[0].samples, r[0].samples, 20 * sizeof(double));
    assert_memory_equal(&res[0].st, &r[0].st, sizeof r[0].st);
    assert_true(res[0].flops == r[0].flops && res[0].throughput == r[0].throughput);
    assert_true(res[0].started == r[0].started && res[0].ended == r[0].ended);
    assert_string_equal(res[1].status, "failed");
    assert_string_equal(res[1].error, "wrong answer at C[3][4]");
    assert_int_equal(res[1].nsamples, 0);
    assert_true(isnan(res[1].st.median)); /* "not measured" survives, not 0 */

    aib_results_free(res, n);
    aib_run_free(&got);
    aib_run_free(&run);
    aib_result_free(&r[0]);
    aib_result_free(&r[1]);
    aib_store_close(s);
}

static void test_list_and_refs(void **state)
{
    struct aib_tmp *f = *state;
    struct aib_store *s = open_ok(f->db);
    struct aib_run *runs = NULL, got;
    struct aib_result *res = NULL;
    struct aib_err err = {0};
    size_t n = 0, nres = 0;
    int64_t id1 = add_run(s, "abcd1111-0000-4000-8000-000000000001", 1);
    int64_t id2 = add_run(s, "abcd2222-0000-4000-8000-000000000002", 2);
    int64_t id3 = add_run(s, NULL, 3);

    assert_int_equal(aib_store_list_runs(s, &runs, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(runs[0].id, id3); /* newest first */
    assert_int_equal(runs[0].nresults, 3);
    assert_int_equal(runs[2].id, id1);
    assert_int_equal(runs[2].nresults, 1);
    assert_string_equal(runs[1].uuid, "abcd2222-0000-4000-8000-000000000002");
    aib_runs_free(runs, n);

    static const struct {
        const char *ref;
        int which; /* 1..3 or 0 for an error */
        const char *msg;
    } cases[] = {
        {"last", 3, NULL},
        {"abcd1111-0000-4000-8000-000000000001", 1, NULL},
        {"abcd2", 2, NULL},
        {"ABCD22", 2, NULL},
        {"abcd", 0, "ambiguous"},
        {"ab", 0, "too short"},
        {"99", 0, "no run '99'"},
        {"ffff", 0, "no run 'ffff'"},
        {"not-a-run", 0, "no run 'not-a-run'"},
        {"", 0, "empty"},
    };
    int64_t ids[] = {0, id1, id2, id3};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = aib_store_load_run(s, cases[i].ref, &got, &res, &nres, &err);
        if (cases[i].which) {
            if (rc)
                fail_msg("ref '%s': %s", cases[i].ref, err.msg);
            assert_int_equal(got.id, ids[cases[i].which]);
            assert_int_equal(nres, (size_t)cases[i].which);
            assert_int_equal(res[0].nsamples, 3);
        } else {
            assert_int_equal(rc, AIB_EUSAGE);
            assert_null(res);
            if (!strstr(err.msg, cases[i].msg))
                fail_msg("ref '%s': message '%s' lacks '%s'", cases[i].ref, err.msg, cases[i].msg);
        }
        aib_results_free(res, nres);
        aib_run_free(&got);
    }
    char ref[24];
    snprintf(ref, sizeof ref, "%lld", (long long)id2);
    int64_t id = 0;
    assert_int_equal(aib_store_resolve_ref(s, ref, &id, &err), 0);
    assert_int_equal(id, id2);
    aib_store_close(s);
}

static void test_delete_cascades(void **state)
{
    struct aib_tmp *f = *state;
    struct aib_store *s = open_ok(f->db);
    struct aib_err err = {0};
    char ref[24];
    int64_t keep = add_run(s, NULL, 2);
    int64_t gone = add_run(s, NULL, 3);
    snprintf(ref, sizeof ref, "%lld", (long long)gone);
    assert_int_equal(aib_test_sql_int(f->db, "SELECT count(*) FROM samples"), 15);
    assert_int_equal(aib_store_delete_run(s, "last", &err), 0);
    assert_int_equal(aib_test_sql_int(f->db, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(aib_test_sql_int(f->db, "SELECT count(*) FROM results"), 2);
    assert_int_equal(aib_test_sql_int(f->db, "SELECT count(*) FROM samples"), 6);
    assert_int_equal(aib_test_sql_int(f->db, "SELECT count(*) FROM results WHERE run_id NOT IN"
                                    " (SELECT id FROM runs)"),
                     0);
    assert_int_equal(aib_store_delete_run(s, ref, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "no run"));
    /* Ids are never reused, so a stale reference cannot hit a newer run. */
    assert_true(add_run(s, NULL, 0) > gone);
    snprintf(ref, sizeof ref, "%lld", (long long)keep);
    assert_int_equal(aib_store_delete_run(s, ref, &err), 0);
    assert_int_equal(aib_test_sql_int(f->db, "SELECT count(*) FROM samples"), 0);
    aib_store_close(s);
}

static void test_random_bytes_refused(void **state)
{
    struct aib_tmp *f = *state;
    unsigned char buf[4096];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(rand() & 0xff);
    write_bytes(f->db, buf, sizeof buf);
    assert_refused(f->db, "not an aibench results database (file is not a database)");
    /* The right magic followed by garbage is refused too. */
    memcpy(buf, "SQLite format 3", 16);
    write_bytes(f->db, buf, sizeof buf);
    assert_refused(f->db, "not an aibench results database");
}

static void test_other_app_refused(void **state)
{
    struct aib_tmp *f = *state;
    aib_test_sql_exec(f->db, "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);"
                    "INSERT INTO notes(body) VALUES ('keep me');");
    assert_refused(f->db, "not an aibench results database");
    assert_int_equal(aib_test_sql_int(f->db, "SELECT count(*) FROM notes"), 1);
    /* Another application's id, even with no tables yet. */
    unlink(f->db);
    aib_test_sql_exec(f->db, "PRAGMA application_id = 1234; PRAGMA user_version = 3;");
    assert_refused(f->db, "another application");
}

static void test_newer_schema_refused(void **state)
{
    struct aib_tmp *f = *state;
    aib_test_sql_exec(f->db, "PRAGMA application_id = 1095320097; PRAGMA user_version = 999;"
                    "CREATE TABLE runs(id INTEGER PRIMARY KEY);");
    assert_refused(f->db, "has schema version 999, newer than this aibench supports");
}

static void test_missing_and_unwritable_dir(void **state)
{
    struct aib_tmp *f = *state;
    char path[256], dir[200];
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    snprintf(dir, sizeof dir, "%s/a/b", f->dir);
    snprintf(path, sizeof path, "%s/r.db", dir);
    assert_int_equal(aib_store_open(path, true, false, &s, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "directory"));
    assert_non_null(strstr(err.msg, "does not exist"));
    assert_non_null(strstr(err.msg, path));
    assert_false(exists(dir));
    /* Without create, a missing file is reported as such. */
    assert_int_equal(aib_store_open(f->db, false, false, &s, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "no results database at"));
    assert_false(exists(f->db));
    /* mkdir_parent (the default location) creates the whole path, private. */
    assert_int_equal(aib_store_open(path, true, true, &s, &err), 0);
    aib_store_close(s);
    assert_int_equal(file_mode(dir), 0700);
    assert_int_equal(file_mode(path), 0600);

    if (geteuid() == 0) /* root writes anywhere: permissions cannot be tested */
        return;
    snprintf(dir, sizeof dir, "%s/ro", f->dir);
    snprintf(path, sizeof path, "%s/r.db", dir);
    assert_int_equal(mkdir(dir, 0500), 0);
    assert_int_equal(aib_store_open(path, true, false, &s, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "not writable"));
    chmod(dir, 0700);
}

static void test_resolve_path(void **state)
{
    (void)state;
    char buf[512];
    bool def = true;
    struct aib_err err = {0};
    setenv("AIBENCH_DB", "/env/x.db", 1);
    setenv("XDG_DATA_HOME", "/xdg", 1);
    setenv("HOME", "/home/u", 1);
    assert_int_equal(aib_store_resolve_path("/explicit.db", buf, sizeof buf, &def, &err), 0);
    assert_string_equal(buf, "/explicit.db");
    assert_false(def);
    assert_int_equal(aib_store_resolve_path(NULL, buf, sizeof buf, &def, &err), 0);
    assert_string_equal(buf, "/env/x.db");
    assert_false(def);
    unsetenv("AIBENCH_DB");
    assert_int_equal(aib_store_resolve_path(NULL, buf, sizeof buf, &def, &err), 0);
    assert_string_equal(buf, "/xdg/aibench/results.db");
    assert_true(def);
    setenv("XDG_DATA_HOME", "relative", 1); /* ignored, per the XDG spec */
    assert_int_equal(aib_store_resolve_path(NULL, buf, sizeof buf, &def, &err), 0);
    assert_string_equal(buf, "/home/u/.local/share/aibench/results.db");
    assert_true(def);
    assert_int_equal(aib_store_resolve_path(NULL, buf, 8, &def, &err), AIB_EUSAGE);
    assert_int_equal(aib_store_resolve_path("", buf, sizeof buf, &def, &err), AIB_EUSAGE);
    unsetenv("XDG_DATA_HOME");
    unsetenv("HOME");
    assert_int_equal(aib_store_resolve_path(NULL, buf, sizeof buf, &def, &err), AIB_EUSAGE);
}

/* One writer process: creates (or joins) the database, one run, 50 results
 * each in its own transaction. Returns the exit status for the child. */
static int writer(const char *path)
{
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    struct aib_run run = {0};
    struct aib_result r;
    int status = 0;
    if (aib_store_open(path, true, false, &s, &err) || aib_store_run_begin(s, &run, &err)) {
        fprintf(stderr, "writer %d: %s\n", (int)getpid(), err.msg);
        status = 1;
        goto cleanup;
    }
    for (int i = 0; i < 50 && status == 0; i++) {
        fill_result(&r, "n=64", 5);
        if (aib_store_result_add(s, run.id, &r, &err)) {
            fprintf(stderr, "writer %d: %s\n", (int)getpid(), err.msg);
            status = 1;
        }
        aib_result_free(&r);
    }
cleanup:
    aib_run_free(&run);
    aib_store_close(s);
    return status;
}

static void test_two_writers(void **state)
{
    struct aib_tmp *f = *state;
    pid_t pids[2];
    /* Both start on a database that does not exist yet: creation races too. */
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0)
            _exit(writer(f->db));
    }
    for (int i = 0; i < 2; i++) {
        int st = 0;
        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    assert_int_equal(aib_test_sql_int(f->db, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(aib_test_sql_int(f->db, "SELECT count(*) FROM results"), 100);
    assert_int_equal(aib_test_sql_int(f->db, "SELECT count(*) FROM samples"), 500);
    assert_int_equal(file_mode(f->db), 0600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema_created, aib_tmp_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_empty_file_is_initialized, aib_tmp_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_roundtrip, aib_tmp_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_list_and_refs, aib_tmp_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_delete_cascades, aib_tmp_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_random_bytes_refused, aib_tmp_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_other_app_refused, aib_tmp_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, aib_tmp_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_unwritable_dir, aib_tmp_setup, aib_tmp_teardown),
        cmocka_unit_test(test_resolve_path),
        cmocka_unit_test_setup_teardown(test_two_writers, aib_tmp_setup, aib_tmp_teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
