/* Verdicts of compare on synthetic results, pairing of two runs' results,
 * and the `results` and `compare` commands on a real database file. */
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../bench/cli.h"
#include "../../results/compare.h"
#include "../../results/store.h"
#include "cmd_fixture.h"

static enum aib_verdict v(double ma, double la, double ha, double mb, double lb, double hb,
                          double tol)
{
    struct aib_result a = mk("", ma, la, ha), b = mk("", mb, lb, hb);
    return aib_compare_pair(&a, &b, tol);
}

static void test_verdicts(void **state)
{
    (void)state;
    /* Disjoint intervals, a large change: B takes half the time. */
    assert_int_equal(v(1.0, 0.98, 1.02, 0.5, 0.49, 0.51, 0.02), AIB_VERDICT_FASTER);
    assert_int_equal(v(0.5, 0.49, 0.51, 1.0, 0.98, 1.02, 0.02), AIB_VERDICT_SLOWER);
    /* Disjoint but within the tolerance: a real 0.5% drift is "same". */
    assert_int_equal(v(1.0, 0.999, 1.001, 1.005, 1.004, 1.006, 0.02), AIB_VERDICT_SAME);
    assert_int_equal(v(1.0, 0.999, 1.001, 1.005, 1.004, 1.006, 0.001), AIB_VERDICT_SLOWER);
    assert_int_equal(v(1.005, 1.004, 1.006, 1.0, 0.999, 1.001, 0.001), AIB_VERDICT_FASTER);
    /* Overlapping, tight, close medians. */
    assert_int_equal(v(1.0, 0.995, 1.005, 1.001, 0.996, 1.006, 0.02), AIB_VERDICT_SAME);
    /* Overlapping but wide: cannot tell, even with equal medians. */
    assert_int_equal(v(1.0, 0.8, 1.2, 1.0, 0.8, 1.2, 0.02), AIB_VERDICT_INCONCLUSIVE);
    /* Overlapping, wide, and a large ratio. */
    assert_int_equal(v(1.0, 0.8, 1.2, 1.15, 0.95, 1.4, 0.02), AIB_VERDICT_INCONCLUSIVE);
    /* Overlapping, tight, but medians further apart than the tolerance. */
    assert_int_equal(v(1.0, 0.985, 1.015, 1.03, 1.012, 1.045, 0.02), AIB_VERDICT_INCONCLUSIVE);
    /* The same wide pair is "same" under a loose tolerance. */
    assert_int_equal(v(1.0, 0.8, 1.2, 1.0, 0.8, 1.2, 0.25), AIB_VERDICT_SAME);
}

static void test_unusable_results_are_inconclusive(void **state)
{
    (void)state;
    struct aib_result a = mk("", 1.0, 0.99, 1.01), b = mk("", 0.5, 0.49, 0.51);
    assert_int_equal(aib_compare_pair(&a, &b, 0.02), AIB_VERDICT_FASTER);
    snprintf(b.status, sizeof b.status, AIB_STATUS_FAILED);
    assert_int_equal(aib_compare_pair(&a, &b, 0.02), AIB_VERDICT_INCONCLUSIVE);
    b = mk("", 0.5, 0.49, 0.51);
    b.st.n = 0;
    assert_int_equal(aib_compare_pair(&a, &b, 0.02), AIB_VERDICT_INCONCLUSIVE);
    b = mk("", 0.5, NAN, NAN);
    assert_int_equal(aib_compare_pair(&a, &b, 0.02), AIB_VERDICT_INCONCLUSIVE);
    b = mk("", 0.5, 0.6, 0.7); /* median outside its own interval: broken stats */
    assert_int_equal(aib_compare_pair(&a, &b, 0.02), AIB_VERDICT_INCONCLUSIVE);
    assert_int_equal(aib_compare_pair(NULL, &a, 0.02), AIB_VERDICT_INCONCLUSIVE);
}

static void test_verdict_names(void **state)
{
    (void)state;
    assert_string_equal(aib_verdict_name(AIB_VERDICT_SAME), "same");
    assert_string_equal(aib_verdict_name(AIB_VERDICT_FASTER), "faster");
    assert_string_equal(aib_verdict_name(AIB_VERDICT_SLOWER), "slower");
    assert_string_equal(aib_verdict_name(AIB_VERDICT_INCONCLUSIVE), "inconclusive");
}

static void test_compare_runs_pairs_by_key(void **state)
{
    (void)state;
    struct aib_result a[] = {mk("n=64", 1.0, 0.99, 1.01), mk("n=128", 8.0, 7.9, 8.1),
                             mk("n=256", 1.0, 0.99, 1.01), mk("n=64", 2.0, 1.99, 2.01)};
    struct aib_result b[] = {mk("n=128", 4.0, 3.9, 4.1), mk("n=64", 1.0, 0.995, 1.005),
                             mk("n=512", 1.0, 0.99, 1.01), mk("n=64", 2.0, 1.99, 2.01)};
    snprintf(b[0].device, sizeof b[0].device, "cpu"); /* same key despite order */
    struct aib_cmp_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(aib_compare_runs(a, 4, b, 4, 0.02, &rows, &n), 0);
    assert_int_equal(n, 5);
    assert_ptr_equal(rows[0].a, &a[0]);
    assert_ptr_equal(rows[0].b, &b[1]);
    assert_int_equal(rows[0].verdict, AIB_VERDICT_SAME);
    assert_ptr_equal(rows[1].b, &b[0]);
    assert_int_equal(rows[1].verdict, AIB_VERDICT_FASTER);
    assert_true(fabs(rows[1].speedup - 2.0) < 1e-12);
    assert_null(rows[2].b); /* n=256 only in A */
    assert_true(isnan(rows[2].speedup));
    assert_ptr_equal(rows[3].b, &b[3]); /* the second n=64 pairs with the second */
    assert_null(rows[4].a);             /* n=512 only in B */
    assert_ptr_equal(rows[4].b, &b[2]);
    free(rows);
    /* A different device is a different result. */
    snprintf(b[1].device, sizeof b[1].device, "opencl:0:0");
    assert_int_equal(aib_compare_runs(a, 1, b, 2, 0.02, &rows, &n), 0);
    assert_int_equal(n, 3);
    assert_ptr_equal(rows[0].b, NULL);
    free(rows);
    assert_int_equal(aib_compare_runs(NULL, 0, NULL, 0, 0.02, &rows, &n), 0);
    assert_int_equal(n, 0);
    assert_null(rows);
}

/* --- the commands, against a real database --------------------------------- */


static int64_t store_run(const char *path, double median, bool with_failed)
{
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    struct aib_run run = {0};
    assert_int_equal(aib_store_open(path, true, false, &s, &err), 0);
    snprintf(run.host, sizeof run.host, "box");
    snprintf(run.cmdline, sizeof run.cmdline, "aibench run matmul");
    run.started = 1700000000;
    assert_int_equal(aib_kv_set(&run.env, "cpu.model", "Test CPU"), 0);
    assert_int_equal(aib_store_run_begin(s, &run, &err), 0);
    struct aib_result r = mk("n=64,precision=fp32", median, median * 0.99, median * 1.01);
    for (int i = 0; i < 10; i++)
        assert_int_equal(aib_result_push_sample(&r, median), 0);
    assert_int_equal(aib_store_result_add(s, run.id, &r, &err), 0);
    aib_result_free(&r);
    if (with_failed) {
        r = mk("n=4096,precision=fp32", NAN, NAN, NAN);
        snprintf(r.status, sizeof r.status, AIB_STATUS_FAILED);
        snprintf(r.error, sizeof r.error, "wrong answer at C[1][2]");
        r.st.n = 0;
        assert_int_equal(aib_store_result_add(s, run.id, &r, &err), 0);
    }
    snprintf(run.status, sizeof run.status, AIB_STATUS_OK);
    run.ended = 1700000003;
    assert_int_equal(aib_store_run_end(s, &run, &err), 0);
    aib_run_free(&run);
    aib_store_close(s);
    return run.id;
}

static void test_cmd_results(void **state)
{
    struct fx *f = *state;
    store_run(f->db, 2e-3, true);
    store_run(f->db, 1e-3, false);

    assert_int_equal(cmd(f, f->db, aib_cmd_results, "results", "list", NULL), 0);
    expect(f->out, "ID  UUID");
    expect(f->out, "RESULTS");
    expect(f->out, f->db);
    assert_int_equal(f->nerr, 0);

    assert_int_equal(cmd(f, f->db, aib_cmd_results, "results", "show", "1", NULL), 0);
    expect(f->out, "cpu.model: Test CPU");
    expect(f->out, "2.000 ms");
    expect(f->out, "±1.0%");
    expect(f->out, "error: wrong answer at C[1][2]");
    expect(f->out, "database:");

    assert_int_equal(cmd(f, f->db, aib_cmd_results, "results", "show", "last", "--json", NULL), 0);
    expect(f->out, "\"samples\": [");
    expect(f->out, "\"cpu.model\": \"Test CPU\"");

    assert_int_equal(cmd(f, f->db, aib_cmd_results, "results", "list", "--json", NULL), 0);
    expect(f->out, "\"runs\": [");

    assert_int_equal(cmd(f, f->db, aib_cmd_results, "results", "show", "99", NULL), 2);
    one_line(f->err);
    expect(f->err, "no run '99'");

    assert_int_equal(cmd(f, f->db, aib_cmd_results, "results", "show", "--bogus", NULL), 2);
    one_line(f->err);
    assert_int_equal(cmd(f, f->db, aib_cmd_results, "results", "frob", NULL), 2);
    one_line(f->err);
    assert_int_equal(cmd(f, f->db, aib_cmd_results, "results", NULL), 2);
    one_line(f->err);

    assert_int_equal(cmd(f, f->db, aib_cmd_results, "results", "delete", "1", NULL), 0);
    expect(f->out, "deleted run 1");
    assert_int_equal(cmd(f, f->db, aib_cmd_results, "results", "show", "1", NULL), 2);
    one_line(f->err);

    static const char *const subs[] = {"list", "show", "delete"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(cmd(f, f->db, aib_cmd_results, "results", subs[i], "--help", NULL), 0);
        expect(f->out, "--json");
        expect(f->out, "results delete RUN");
    }
}

static void test_cmd_compare(void **state)
{
    struct fx *f = *state;
    store_run(f->db, 2e-3, true);
    store_run(f->db, 1e-3, false);
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "1", "2", NULL), 0);
    expect(f->out, "2.00x");
    expect(f->out, "faster");
    expect(f->out, "only in A");
    expect(f->out, "summary: 0 same, 1 faster, 0 slower, 0 inconclusive, 1 only in A, 0 only in B");
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "2", "1", "--json", NULL), 0);
    expect(f->out, "\"verdict\": \"slower\"");
    expect(f->out, "\"only_in_b\": 1");
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "1", "1", "--tolerance", "5", NULL),
                     0);
    expect(f->out, "tolerance: 5%");
    expect(f->out, "1 same");
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "1", "2", "--tolerance=abc", NULL),
                     2);
    one_line(f->err);
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "1", NULL), 2);
    one_line(f->err);
    expect(f->err, "missing RUN_B");
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "1", "7", NULL), 2);
    one_line(f->err);
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "-h", NULL), 0);
    expect(f->out, "--tolerance PCT");
}

static void test_cmd_database_errors(void **state)
{
    struct fx *f = *state;
    char path[256], home[128];
    /* Missing default database: "no runs yet", and nothing is created. */
    snprintf(home, sizeof home, "%s/xdg", f->dir);
    unsetenv("AIBENCH_DB");
    setenv("XDG_DATA_HOME", home, 1);
    assert_int_equal(cmd(f, NULL, aib_cmd_results, "results", "list", NULL), 0);
    expect(f->out, "no runs yet (database");
    expect(f->out, "does not exist");
    assert_int_equal(access(home, F_OK), -1);
    assert_int_equal(cmd(f, NULL, aib_cmd_results, "results", "show", "1", NULL), 2);
    one_line(f->err);
    /* Missing directory for an explicit path. */
    assert_int_equal(cmd(f, "/nonexistent/dir/x.db", aib_cmd_results, "results", "show", "1",
                         NULL),
                     2);
    one_line(f->err);
    /* A file of random bytes: refused, one line, untouched. */
    snprintf(path, sizeof path, "%s/junk.db", f->dir);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    for (int i = 0; i < 2048; i++)
        fputc((i * 7919 + 13) & 0xff, fp);
    fclose(fp);
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    assert_int_equal(cmd(f, path, aib_cmd_results, "results", "list", NULL), 2);
    one_line(f->err);
    expect(f->err, "is not an aibench results database");
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_size, after.st_size);
    assert_true(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
                before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_unusable_results_are_inconclusive),
        cmocka_unit_test(test_verdict_names),
        cmocka_unit_test(test_compare_runs_pairs_by_key),
        cmocka_unit_test_setup_teardown(test_cmd_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmd_compare, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmd_database_errors, setup, teardown),
    };
    return cmocka_run_group_tests_name("compare", tests, NULL, NULL);
}
