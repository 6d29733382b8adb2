/* What the CI gate keeps in the store (schema version 3), on real database
 * files: git commit, branch and fingerprint of a run, tags as run
 * references, "the last complete run of this suite on this host", and the
 * upgrade of a version 2 database. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "../../results/store.h"
#include "fixtures.h"


/* Stores a finished run of `suite` with fingerprint `fp` and status `status`. */
static int64_t add_run(struct aib_store *s, const char *suite, const char *fp, const char *status)
{
    struct aib_run run = {0};
    struct aib_err err = {0};
    snprintf(run.suite, sizeof run.suite, "%s", suite);
    snprintf(run.fingerprint, sizeof run.fingerprint, "%s", fp);
    snprintf(run.git_commit, sizeof run.git_commit, "0123456789abcdef0123456789abcdef01234567");
    snprintf(run.git_branch, sizeof run.git_branch, "main");
    run.started = 1.7e9;
    if (aib_store_run_begin(s, &run, &err))
        fail_msg("%s", err.msg);
    snprintf(run.status, sizeof run.status, "%s", status);
    run.ended = 1.7e9 + 1;
    if (aib_store_run_end(s, &run, &err))
        fail_msg("%s", err.msg);
    aib_run_free(&run);
    return run.id;
}

static void test_git_and_fingerprint_round_trip(void **state)
{
    struct aib_tmp *f = *state;
    struct aib_run got;
    struct aib_result *res = NULL;
    size_t n = 0;
    struct aib_err err = {0};
    int64_t id = add_run(f->s, "ci", "00112233aabbccdd", "ok");
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", (long long)id);
    assert_int_equal(aib_store_load_run(f->s, ref, &got, &res, &n, &err), 0);
    assert_string_equal(got.git_commit, "0123456789abcdef0123456789abcdef01234567");
    assert_string_equal(got.git_branch, "main");
    assert_string_equal(got.fingerprint, "00112233aabbccdd");
    aib_run_free(&got);
    aib_results_free(res, n);
}

static void test_tags(void **state)
{
    struct aib_tmp *f = *state;
    struct aib_err err = {0};
    int64_t a = add_run(f->s, "ci", "fp", "ok"), b = add_run(f->s, "ci", "fp", "ok"), id = 0, got;
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", (long long)a);
    assert_int_equal(aib_store_tag_set(f->s, ref, "main", false, &id, &err), 0);
    assert_int_equal(id, a);
    assert_int_equal(aib_store_resolve_ref(f->s, "main", &got, &err), 0);
    assert_int_equal(got, a);
    /* A tag that is all hex still wins over a UUID prefix. */
    assert_int_equal(aib_store_tag_set(f->s, "last", "beef", false, &id, &err), 0);
    assert_int_equal(aib_store_resolve_ref(f->s, "beef", &got, &err), 0);
    assert_int_equal(got, b);
    /* Taken: refused without --force, moved with it. */
    assert_int_equal(aib_store_tag_set(f->s, "last", "main", false, &id, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "already names run"));
    assert_int_equal(aib_store_resolve_ref(f->s, "main", &got, &err), 0);
    assert_int_equal(got, a);
    assert_int_equal(aib_store_tag_set(f->s, "last", "main", true, &id, &err), 0);
    assert_int_equal(aib_store_resolve_ref(f->s, "main", &got, &err), 0);
    assert_int_equal(got, b);
    /* Bad names, unknown runs. */
    static const char *const bad[] = {"", "1abc", "last", "a b", "x;y", "-x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(aib_store_tag_set(f->s, "last", bad[i], false, &id, &err), AIB_EUSAGE);
    assert_int_equal(aib_store_tag_set(f->s, "999", "x", false, &id, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "no run '999'"));
    /* Listing, by name. */
    struct aib_tag *tags = NULL;
    size_t n = 0;
    assert_int_equal(aib_store_tags_list(f->s, &tags, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(tags[0].name, "beef");
    assert_string_equal(tags[1].name, "main");
    assert_int_equal(tags[1].run_id, b);
    assert_string_equal(tags[1].suite, "ci");
    assert_true(tags[1].created > 1.6e9);
    free(tags);
    /* Deleting a tag keeps the run; deleting the run drops its tags. */
    assert_int_equal(aib_store_tag_delete(f->s, "beef", &err), 0);
    assert_int_equal(aib_store_tag_delete(f->s, "beef", &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "no tag 'beef'"));
    assert_int_equal(aib_store_resolve_ref(f->s, "last", &got, &err), 0);
    assert_int_equal(aib_store_delete_run(f->s, "main", &err), 0);
    assert_int_equal(aib_store_resolve_ref(f->s, "main", &got, &err), AIB_EUSAGE);
    assert_int_equal(aib_store_tags_list(f->s, &tags, &n, &err), 0);
    assert_int_equal(n, 0);
    free(tags);
}

static void test_last_complete(void **state)
{
    struct aib_tmp *f = *state;
    struct aib_err err = {0};
    int64_t id = 0;
    bool found = true;
    assert_int_equal(aib_store_find_last_complete(f->s, "ci", "fpA", &id, &found, &err), 0);
    assert_false(found);
    int64_t want = add_run(f->s, "ci", "fpA", "ok");
    add_run(f->s, "ci", "fpA", "failed");      /* not complete */
    add_run(f->s, "ci", "fpA", "interrupted"); /* not complete */
    add_run(f->s, "ci", "fpB", "ok");          /* another host */
    add_run(f->s, "quick", "fpA", "ok");       /* another suite */
    assert_int_equal(aib_store_find_last_complete(f->s, "ci", "fpA", &id, &found, &err), 0);
    assert_true(found);
    assert_int_equal(id, want);
}

static void drop_newer_tables(const char *path)
{
    static const char *const v2[] = {"runs", "run_env", "results", "samples", "result_metrics"};
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char names[32][64], stmt[128];
    int n = 0;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                                        " AND name NOT LIKE 'sqlite_%'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW && n < 32) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        bool keep = false;
        for (size_t i = 0; i < sizeof v2 / sizeof v2[0]; i++)
            keep |= strcmp(name, v2[i]) == 0;
        if (!keep)
            snprintf(names[n++], sizeof names[0], "%s", name);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_true(n >= 1); /* tags, at least */
    for (int i = 0; i < n; i++) {
        snprintf(stmt, sizeof stmt, "DROP TABLE \"%.63s\"", names[i]);
        aib_test_sql_exec(path, stmt);
    }
}

static void test_upgrade_from_version_2(void **state)
{
    struct aib_tmp *f = *state;
    struct aib_err err = {0};
    int64_t old = add_run(f->s, "ci", "", "ok");
    aib_store_close(f->s);
    f->s = NULL;
    /* Make it what a version 2 database is: the tables of versions 1 and
     * 2 only (whatever later migrations add is dropped too), without the
     * columns version 3 added. */
    drop_newer_tables(f->db);
    aib_test_sql_exec(f->db, "DROP INDEX runs_suite_fp;"
               "ALTER TABLE runs DROP COLUMN git_commit; ALTER TABLE runs DROP COLUMN git_branch;"
               "ALTER TABLE runs DROP COLUMN fingerprint; PRAGMA user_version = 2;");
    if (aib_store_open(f->db, false, false, &f->s, &err))
        fail_msg("%s", err.msg);
    assert_true(aib_store_schema_version() >= 3);
    struct aib_run got;
    struct aib_result *res = NULL;
    size_t n = 0;
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", (long long)old);
    assert_int_equal(aib_store_load_run(f->s, ref, &got, &res, &n, &err), 0);
    assert_string_equal(got.git_commit, ""); /* unknown for old runs */
    assert_string_equal(got.fingerprint, "");
    aib_run_free(&got);
    aib_results_free(res, n);
    int64_t id = 0;
    assert_int_equal(aib_store_tag_set(f->s, ref, "old", false, &id, &err), 0);
    assert_int_equal(id, old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_git_and_fingerprint_round_trip, aib_tmp_store_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_tags, aib_tmp_store_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_last_complete, aib_tmp_store_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_version_2, aib_tmp_store_setup, aib_tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
