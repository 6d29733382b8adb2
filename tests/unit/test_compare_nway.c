/* The N-way compare: matching results across any number of runs, the
 * category scores, perf per watt and per dollar (compare.c), and the
 * `compare` command with more runs, --db-b, --host and --price on real
 * database files. The two-run view is tested in test_compare.c. */
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* --- N-way: matching, scores, perf per watt and per dollar -------------------------- */

static struct aib_result mkw(const char *workload, const char *params, double med, double watts)
{
    struct aib_result r = mk(params, med, med * 0.995, med * 1.005);
    snprintf(r.workload, sizeof r.workload, "%s", workload);
    if (watts > 0) {
        assert_int_equal(aib_result_set_metric(&r, "energy", watts * 2, "J", 1, NULL), 0);
        assert_int_equal(aib_result_set_metric(&r, "avg_power", watts, "W", 1, NULL), 0);
    } else {
        assert_int_equal(aib_result_set_metric(&r, "energy", 0, "J", 0, "no RAPL here (test)"), 0);
    }
    return r;
}

static void free_cols(struct aib_result *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        aib_result_free(&c[i]);
}

static void test_nway_rows(void **state)
{
    (void)state;
    struct aib_result c0[] = {mkw("matmul", "n=64", 1.0, 0), mkw("matmul", "n=128", 8.0, 0),
                              mkw("matmul", "n=64", 2.0, 0)};
    struct aib_result c1[] = {mkw("matmul", "n=128", 4.0, 0), mkw("matmul", "n=64", 1.0, 0),
                              mkw("io", "bs=4k", 1.0, 0)};
    struct aib_result c2[] = {mkw("matmul", "n=64", 0.5, 0), mkw("matmul", "n=128", 8.0, 0)};
    snprintf(c2[1].status, sizeof c2[1].status, AIB_STATUS_FAILED);
    const struct aib_result *res[] = {c0, c1, c2};
    size_t nres[] = {3, 3, 2};
    struct aib_nway nw;
    assert_int_equal(aib_compare_nway(res, nres, 3, true, 0.02, &nw), 0);
    assert_int_equal(nw.ncols, 3);
    assert_int_equal(nw.nrows, 4); /* n=64, n=128, the second n=64, io */
    /* n=64: in all three, ok everywhere. */
    assert_ptr_equal(nw.rows[0].cell[0], &c0[0]);
    assert_ptr_equal(nw.rows[0].cell[1], &c1[1]);
    assert_ptr_equal(nw.rows[0].cell[2], &c2[0]);
    assert_true(nw.rows[0].common);
    assert_int_equal(nw.rows[0].present, 3);
    assert_true(nw.rows[0].speedup[0] == 1.0);
    assert_true(fabs(nw.rows[0].speedup[2] - 2.0) < 1e-12);
    assert_int_equal(nw.rows[0].verdict[1], AIB_VERDICT_SAME);
    assert_int_equal(nw.rows[0].verdict[2], AIB_VERDICT_FASTER);
    /* n=128: present in all, but failed in column 2: not common. */
    assert_int_equal(nw.rows[1].present, 3);
    assert_false(nw.rows[1].common);
    assert_int_equal(nw.rows[1].verdict[1], AIB_VERDICT_FASTER);
    assert_int_equal(nw.rows[1].verdict[2], AIB_VERDICT_INCONCLUSIVE);
    /* The second n=64 of column 0 pairs with nothing; io only in column 1. */
    assert_int_equal(nw.rows[2].present, 1);
    assert_null(nw.rows[2].cell[1]);
    assert_true(isnan(nw.rows[2].speedup[1]));
    assert_null(nw.rows[3].cell[0]);
    assert_ptr_equal(nw.rows[3].cell[1], &c1[2]);
    aib_compare_nway_free(&nw);

    /* Without device matching, one device per column compares across devices. */
    snprintf(c1[1].device, sizeof c1[1].device, "opencl:0:0");
    assert_int_equal(aib_compare_nway(res, nres, 2, true, 0.02, &nw), 0);
    assert_null(nw.rows[0].cell[1]);
    aib_compare_nway_free(&nw);
    assert_int_equal(aib_compare_nway(res, nres, 2, false, 0.02, &nw), 0);
    assert_ptr_equal(nw.rows[0].cell[1], &c1[1]);
    aib_compare_nway_free(&nw);
    free_cols(c0, 3);
    free_cols(c1, 3);
    free_cols(c2, 2);
}

static void test_scores(void **state)
{
    (void)state;
    /* Column 1 is 2x and 8x faster on compute (geometric mean 4x) at half
     * the power; column 2 has no energy. Memory: one result. */
    struct aib_result c0[] = {mkw("matmul", "n=64", 1.0, 100), mkw("conv", "l=1", 8.0, 100),
                              mkw("membw", "op=copy", 1.0, 100), mkw("io", "bs=4k", 1.0, 100)};
    struct aib_result c1[] = {mkw("matmul", "n=64", 0.5, 50), mkw("conv", "l=1", 1.0, 50),
                              mkw("membw", "op=copy", 2.0, 50)};
    struct aib_result c2[] = {mkw("matmul", "n=64", 1.0, 0), mkw("conv", "l=1", 8.0, 0),
                              mkw("membw", "op=copy", 1.0, 0)};
    const struct aib_result *res[] = {c0, c1, c2};
    size_t nres[] = {4, 3, 3};
    double prices[] = {1000, 4000, NAN};
    struct aib_nway nw;
    struct aib_score *sc = NULL;
    size_t nsc = 0;
    assert_int_equal(aib_compare_nway(res, nres, 3, true, 0.02, &nw), 0);
    assert_int_equal(aib_compare_scores(&nw, prices, &sc, &nsc), 0);
    assert_int_equal(nsc, 2); /* compute, memory; io is not in every run */
    assert_string_equal(sc[0].category, "compute");
    assert_int_equal(sc[0].nrows, 2);
    assert_true(fabs(sc[0].speed[0] - 1) < 1e-12);
    assert_true(fabs(sc[0].speed[1] - 4) < 1e-12);
    assert_true(fabs(sc[0].speed[2] - 1) < 1e-12);
    /* perf/W against column 0: 4x the speed at half the power. */
    assert_int_equal(sc[0].per_watt_ref, 0);
    assert_true(fabs(sc[0].per_watt[0] - 1) < 1e-12);
    assert_true(fabs(sc[0].per_watt[1] - 8) < 1e-12);
    assert_true(isnan(sc[0].per_watt[2]));
    assert_null(sc[0].no_energy[0]);
    assert_string_equal(sc[0].no_energy[2], "no RAPL here (test)");
    /* perf/$: 4x the speed at 4x the price; no price, no figure. */
    assert_int_equal(sc[0].per_dollar_ref, 0);
    assert_true(fabs(sc[0].per_dollar[1] - 1) < 1e-12);
    assert_true(isnan(sc[0].per_dollar[2]));
    assert_string_equal(sc[1].category, "memory");
    assert_true(fabs(sc[1].speed[1] - 0.5) < 1e-12);
    aib_scores_free(sc, nsc);
    /* No energy in the first column: perf/W is relative to the first that has it. */
    const struct aib_result *res2[] = {c2, c0, c1};
    size_t nres2[] = {3, 4, 3};
    double none[] = {NAN, NAN, NAN};
    aib_compare_nway_free(&nw);
    assert_int_equal(aib_compare_nway(res2, nres2, 3, true, 0.02, &nw), 0);
    assert_int_equal(aib_compare_scores(&nw, none, &sc, &nsc), 0);
    assert_int_equal(sc[0].per_watt_ref, 1);
    assert_true(fabs(sc[0].per_watt[2] - 8) < 1e-12);
    assert_true(isnan(sc[0].per_watt[0]));
    assert_int_equal(sc[0].per_dollar_ref, 3); /* none priced */
    aib_scores_free(sc, nsc);
    aib_compare_nway_free(&nw);
    free_cols(c0, 4);
    free_cols(c1, 3);
    free_cols(c2, 3);
}

static void test_perf_figures(void **state)
{
    (void)state;
    assert_string_equal(aib_workload_category("matmul"), "compute");
    assert_string_equal(aib_workload_category("conv"), "compute");
    assert_string_equal(aib_workload_category("peak"), "compute");
    assert_string_equal(aib_workload_category("membw"), "memory");
    assert_string_equal(aib_workload_category("transfer"), "memory");
    assert_string_equal(aib_workload_category("io"), "storage");
    assert_string_equal(aib_workload_category("net"), "network");
    assert_string_equal(aib_workload_category("sleep"), "other");
    struct aib_result r = mkw("matmul", "", 0.5, 20);
    const char *unit = NULL, *why = NULL;
    assert_true(fabs(aib_result_perf(&r, &unit) - 2.0) < 1e-12); /* throughput 1 / med */
    assert_string_equal(unit, "GFLOP/s");
    assert_true(fabs(aib_result_perf_per_watt(&r, &why) - 0.1) < 1e-12);
    assert_null(why);
    r.unit[0] = '\0'; /* no throughput: iterations per second */
    assert_true(fabs(aib_result_perf(&r, &unit) - 2.0) < 1e-12);
    assert_string_equal(unit, "it/s");
    aib_result_free(&r);
    r = mkw("matmul", "", 0.5, 0);
    assert_true(isnan(aib_result_perf_per_watt(&r, &why)));
    assert_string_equal(why, "no RAPL here (test)");
    aib_result_free(&r);
    r = mk("", 0.5, 0.49, 0.51); /* profilers off: no energy metric at all */
    assert_true(isnan(aib_result_perf_per_watt(&r, &why)));
    assert_non_null(strstr(why, "no energy metric"));
}

/* --- the command, against real database files ------------------------------------ */


/* A complete run of one result of `workload` on host `host`. */
static void store_host_run(const char *path, const char *host, const char *workload,
                           double median)
{
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    struct aib_run run = {0};
    assert_int_equal(aib_store_open(path, true, false, &s, &err), 0);
    snprintf(run.host, sizeof run.host, "%s", host);
    run.started = 1700000000;
    assert_int_equal(aib_store_run_begin(s, &run, &err), 0);
    struct aib_result r = mk("n=64,precision=fp32", median, median * 0.99, median * 1.01);
    snprintf(r.workload, sizeof r.workload, "%s", workload);
    assert_int_equal(aib_store_result_add(s, run.id, &r, &err), 0);
    aib_result_free(&r);
    snprintf(run.status, sizeof run.status, AIB_STATUS_OK);
    run.ended = 1700000003;
    assert_int_equal(aib_store_run_end(s, &run, &err), 0);
    aib_run_free(&run);
    aib_store_close(s);
}

static void test_cmd_compare_nway(void **state)
{
    struct fx *f = *state;
    char dbb[160], opt[200];
    struct stat before, after;
    snprintf(dbb, sizeof dbb, "%s/b.db", f->dir);
    store_host_run(f->db, "alpha", "matmul", 2e-3);
    store_host_run(f->db, "alpha", "matmul", 1e-3);
    store_host_run(dbb, "beta", "matmul", 0.5e-3);
    store_host_run(dbb, "beta", "io", 1e-3);
    snprintf(opt, sizeof opt, "--db-b=%s", dbb);
    assert_int_equal(stat(dbb, &before), 0);

    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "1", "2", "b:1", "--db-b", dbb,
                         NULL),
                     0);
    expect(f->out, "#3: run b:1");
    expect(f->out, "host beta");
    expect(f->out, "matmul (compute)");
    expect(f->out, "#3/#1");
    expect(f->out, "4.00x  faster");
    expect(f->out, "speed vs #1");
    expect(f->out, "perf per watt: no energy measured (#1, #2, #3: no energy metric");
    expect(f->out, "summary #3 vs #1: 0 same, 1 faster");
    expect(f->out, "database b: ");
    assert_int_equal(f->nerr, 0);

    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "2", "b:1", opt, "--price",
                         "alpha=1000", "--price", "beta=2000", "--json", NULL),
                     0);
    expect(f->out, "\"label\": \"#2\"");
    expect(f->out, "\"perf_per_dollar_against\": \"#1\"");
    expect(f->out, "\"price_usd\": 2000");
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "2", "b:1", opt, "--price",
                         "alpha=1000", "--price", "beta=2000", NULL),
                     0);
    /* Twice as fast at twice the price: the same perf per dollar. */
    const char *speed = strstr(f->out, "speed vs #1"), *usd = strstr(f->out, "perf/$ vs #1");
    assert_non_null(speed);
    assert_non_null(usd);
    const char *eol = strchr(speed, '\n'), *x = strstr(speed, "2.00x");
    assert_true(x && x < eol);
    eol = strchr(usd, '\n');
    x = strstr(usd, "1.00x");
    assert_true(x && x < eol && (x = strstr(x + 1, "1.00x")) && x < eol);

    /* --host: the newest complete run of each host; beta's is io, which
     * shares nothing with alpha's matmul. */
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "--host", "alpha", "--host",
                         "beta", opt, NULL),
                     2);
    one_line(f->err);
    expect(f->err, "no result in common");
    expect(f->err, "io");
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "--host", "alpha", "b:1", opt,
                         NULL),
                     0);
    expect(f->out, "#1: run 2 ");

    /* Bad input: one line, exit 2. */
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "1", "2", "--price", "gamma=5",
                         NULL),
                     2);
    one_line(f->err);
    expect(f->err, "no compared run is from host 'gamma'");
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "1", "2", "--price", "alpha=-1",
                         NULL),
                     2);
    one_line(f->err);
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "1", "b:1", NULL), 2);
    one_line(f->err);
    expect(f->err, "no --db-b");
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "--host", "nobody", "1", NULL), 2);
    one_line(f->err);
    expect(f->err, "no complete run of host 'nobody'");
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "1@cpu", "2", NULL), 2);
    one_line(f->err);
    assert_int_equal(cmd(f, f->db, aib_cmd_compare, "compare", "1", "2", "--db-b",
                         "/nonexistent/b.db", NULL),
                     2);
    one_line(f->err);

    /* The second database was only read. */
    assert_int_equal(stat(dbb, &after), 0);
    assert_int_equal(before.st_size, after.st_size);
    assert_true(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
                before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nway_rows),
        cmocka_unit_test(test_scores),
        cmocka_unit_test(test_perf_figures),
        cmocka_unit_test_setup_teardown(test_cmd_compare_nway, setup, teardown),
    };
    return cmocka_run_group_tests_name("compare_nway", tests, NULL, NULL);
}
