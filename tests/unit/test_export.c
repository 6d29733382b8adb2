/* Export and import through real SQLite files: a round trip gives the same
 * runs, results, samples, metrics and series bit for bit; importing twice
 * adds nothing; a truncated, hand-edited or newer-version file imports
 * nothing, and neither does a failure half-way through the inserts (one
 * transaction). The JSON reader on its own: test_json_read.c. */
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../profilers/series.h"
#include "../../results/export.h"
#include "../../results/store.h"

struct fx {
    char dir[64], src[128], dst[128], file[128];
    int64_t ids[2];
    char uuid[2][40];
};

static struct aib_result mk_result(const char *params, double med)
{
    struct aib_result r = {0};
    snprintf(r.workload, sizeof r.workload, "matmul");
    snprintf(r.device, sizeof r.device, "cpu");
    snprintf(r.params, sizeof r.params, "%s", params);
    snprintf(r.status, sizeof r.status, AIB_STATUS_OK);
    snprintf(r.unit, sizeof r.unit, "GFLOP/s");
    r.iters_per_sample = 7;
    r.st = (struct aib_stats){.n = 5, .min = med * 0.9, .max = med * 1.3, .mean = med * 1.01,
                              .median = med, .stddev = med / 3, .cv = 1.0 / 3, .p95 = med * 1.2,
                              .ci_lo = med * 0.99, .ci_hi = med * 1.01, .mad = med / 7,
                              .outliers = 1};
    r.flops = 2.0 * 64 * 64 * 64;
    r.bytes = NAN; /* never measured: must come back as NaN, not 0 */
    r.ops = 0.1 + 0.2;
    r.throughput = r.flops / med / 1e9;
    r.started = 1700000000.123456789;
    r.ended = 1700000001.987654321;
    /* Values that need 17 digits, a subnormal and the extremes. */
    const double s[] = {med, med * (1 + 1e-16), 4.9406564584124654e-324, 1.7976931348623157e308,
                        1.0 / 3};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        assert_int_equal(aib_result_push_sample(&r, s[i]), 0);
    assert_int_equal(aib_result_set_metric(&r, "perf.task_clock", 1.0 / 7, "s", 1, "2 threads"), 0);
    assert_int_equal(aib_result_set_metric(&r, "energy", 0, "J", 0,
                                           "no RAPL here (\"powercap\" absent)\n\ttab"),
                     0);
    return r;
}

/* A run of two results (one failed) with env, a result series and a
 * run-wide series, written through the store's own calls. */
static int64_t make_run(const char *path, const char *host, double med, char *uuid)
{
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    struct aib_run run = {0};
    struct aib_series_set set = {0};
    assert_int_equal(aib_store_open(path, true, false, &s, &err), 0);
    snprintf(run.host, sizeof run.host, "%s", host);
    snprintf(run.cmdline, sizeof run.cmdline, "aibench run matmul -p n=64 \"quoted\" \\ back");
    snprintf(run.suite, sizeof run.suite, "quick");
    snprintf(run.fingerprint, sizeof run.fingerprint, "0123456789abcdef");
    snprintf(run.git_commit, sizeof run.git_commit, "deadbeef");
    run.started = 1700000000.5;
    assert_int_equal(aib_kv_set(&run.env, "host", host), 0);
    assert_int_equal(aib_kv_set(&run.env, "cpu.model", "Test CPU \xc3\xa9\xe2\x82\xac"), 0);
    assert_int_equal(aib_kv_set(&run.env, "empty", ""), 0);
    assert_int_equal(aib_store_run_begin(s, &run, &err), 0);
    struct aib_result r = mk_result("n=64,precision=fp32", med);
    assert_int_equal(aib_store_result_add(s, run.id, &r, &err), 0);
    struct aib_series *x = aib_series_add(&set, "system", "cpu.util", "%", 1700000000.25);
    assert_non_null(x);
    x->result_id = r.id;
    for (int i = 0; i < 20; i++)
        assert_int_equal(aib_series_push(x, i * 0.1, 50 + i * 1.0 / 3), 0);
    x = aib_series_add(&set, "system", "load1", "", 1700000000.0);
    assert_non_null(x);
    assert_int_equal(aib_series_push(x, 0, 1.5), 0);
    assert_int_equal(aib_series_push(x, 1, NAN), 0);
    assert_int_equal(aib_series_store(s, run.id, &set, &err), 0);
    aib_series_free(&set);
    aib_result_free(&r);
    r = mk_result("n=4096,precision=fp32", NAN);
    snprintf(r.status, sizeof r.status, AIB_STATUS_FAILED);
    snprintf(r.error, sizeof r.error, "wrong answer at C[1][2]");
    r.st.n = 0;
    assert_int_equal(aib_store_result_add(s, run.id, &r, &err), 0);
    aib_result_free(&r);
    snprintf(run.status, sizeof run.status, AIB_STATUS_OK);
    run.ended = 1700000003.25;
    assert_int_equal(aib_store_run_end(s, &run, &err), 0);
    snprintf(uuid, 40, "%s", run.uuid);
    aib_run_free(&run);
    aib_store_close(s);
    return run.id;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/aib_export_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->src, sizeof f->src, "%s/src.db", f->dir);
    snprintf(f->dst, sizeof f->dst, "%s/dst.db", f->dir);
    snprintf(f->file, sizeof f->file, "%s/runs.json", f->dir);
    f->ids[0] = make_run(f->src, "box-a", 1e-3, f->uuid[0]);
    f->ids[1] = make_run(f->src, "box-b", 2e-3, f->uuid[1]);
    *state = f;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void export_file(struct fx *f, const char *path)
{
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    assert_int_equal(aib_store_open(f->src, false, false, &s, &err), 0);
    if (aib_export_to_path(s, f->ids, 2, path, stdout, &err) != 0)
        fail_msg("export: %s", err.msg);
    aib_store_close(s);
}

/* Imports path into db; returns the aib code, the message in err. */
static int import_file(const char *db, const char *path, struct aib_import_report *rep,
                       struct aib_err *err)
{
    struct aib_store *s = NULL;
    struct aib_import_doc doc = {0};
    char *text = NULL;
    size_t len = 0;
    int rc = aib_import_read_file(path, &text, &len, err);
    if (rc == 0)
        rc = aib_import_parse(text, len, &doc, err);
    if (rc == 0) {
        assert_int_equal(aib_store_open(db, true, false, &s, err), 0);
        rc = aib_import_store(s, &doc, rep, err);
        aib_store_close(s);
    }
    aib_import_doc_free(&doc);
    free(text);
    return rc;
}

static size_t count_runs(const char *db)
{
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    struct aib_run *runs = NULL;
    size_t n = 0;
    assert_int_equal(aib_store_open(db, true, false, &s, &err), 0);
    assert_int_equal(aib_store_list_runs(s, &runs, &n, &err), 0);
    aib_runs_free(runs, n);
    aib_store_close(s);
    return n;
}

/* Equal as stored: the same bits, NaN equal to NaN. */
static void same_num(double a, double b, const char *what)
{
    if (isnan(a) && isnan(b))
        return;
    if (memcmp(&a, &b, sizeof a) != 0)
        fail_msg("%s: %.17g != %.17g", what, a, b);
}

static void same_result(const struct aib_result *a, const struct aib_result *b)
{
    assert_string_equal(a->workload, b->workload);
    assert_string_equal(a->device, b->device);
    assert_string_equal(a->params, b->params);
    assert_string_equal(a->status, b->status);
    assert_string_equal(a->error, b->error);
    assert_string_equal(a->unit, b->unit);
    assert_int_equal(a->iters_per_sample, b->iters_per_sample);
    assert_int_equal(a->st.n, b->st.n);
    assert_int_equal(a->st.outliers, b->st.outliers);
    same_num(a->st.min, b->st.min, "min");
    same_num(a->st.max, b->st.max, "max");
    same_num(a->st.mean, b->st.mean, "mean");
    same_num(a->st.median, b->st.median, "median");
    same_num(a->st.stddev, b->st.stddev, "stddev");
    same_num(a->st.cv, b->st.cv, "cv");
    same_num(a->st.p95, b->st.p95, "p95");
    same_num(a->st.ci_lo, b->st.ci_lo, "ci_lo");
    same_num(a->st.ci_hi, b->st.ci_hi, "ci_hi");
    same_num(a->st.mad, b->st.mad, "mad");
    same_num(a->flops, b->flops, "flops");
    same_num(a->bytes, b->bytes, "bytes");
    same_num(a->ops, b->ops, "ops");
    same_num(a->throughput, b->throughput, "throughput");
    same_num(a->started, b->started, "started");
    same_num(a->ended, b->ended, "ended");
    assert_int_equal(a->nsamples, b->nsamples);
    for (size_t i = 0; i < a->nsamples; i++)
        same_num(a->samples[i], b->samples[i], "sample");
    assert_int_equal(a->nmetrics, b->nmetrics);
    for (size_t i = 0; i < a->nmetrics; i++) {
        assert_string_equal(a->metrics[i].name, b->metrics[i].name);
        assert_string_equal(a->metrics[i].unit, b->metrics[i].unit);
        assert_string_equal(a->metrics[i].note, b->metrics[i].note);
        assert_int_equal(a->metrics[i].valid, b->metrics[i].valid);
        same_num(a->metrics[i].value, b->metrics[i].value, "metric");
    }
}

static void same_series(const struct aib_series_set *a, const struct aib_result *ra,
                        const struct aib_series_set *b, const struct aib_result *rb, size_t nres)
{
    assert_int_equal(a->len, b->len);
    for (size_t i = 0; i < a->len; i++) {
        const struct aib_series *x = &a->items[i], *y = &b->items[i];
        assert_string_equal(x->source, y->source);
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->unit, y->unit);
        same_num(x->t0, y->t0, "t0");
        same_num(x->min, y->min, "series min");
        same_num(x->mean, y->mean, "series mean");
        same_num(x->max, y->max, "series max");
        assert_int_equal(x->n, y->n);
        for (size_t k = 0; k < x->n; k++) {
            same_num(x->t[k], y->t[k], "t");
            same_num(x->v[k], y->v[k], "v");
        }
        /* Attached to the result at the same position (ids differ). */
        size_t ia = nres, ib = nres;
        for (size_t k = 0; k < nres; k++) {
            ia = ra[k].id == x->result_id ? k : ia;
            ib = rb[k].id == y->result_id ? k : ib;
        }
        assert_int_equal(ia, ib);
        assert_true(x->result_id == 0 || ia < nres);
    }
}

/* The run `uuid` is the same in both databases. */
static void same_run(const char *db_a, const char *db_b, const char *uuid)
{
    struct aib_store *sa = NULL, *sb = NULL;
    struct aib_err err = {0};
    struct aib_run a = {0}, b = {0};
    struct aib_result *ra = NULL, *rb = NULL;
    struct aib_series_set xa = {0}, xb = {0};
    size_t na = 0, nb = 0;
    assert_int_equal(aib_store_open(db_a, false, false, &sa, &err), 0);
    assert_int_equal(aib_store_open(db_b, false, false, &sb, &err), 0);
    assert_int_equal(aib_store_load_run(sa, uuid, &a, &ra, &na, &err), 0);
    if (aib_store_load_run(sb, uuid, &b, &rb, &nb, &err) != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(a.uuid, b.uuid);
    assert_string_equal(a.status, b.status);
    assert_string_equal(a.suite, b.suite);
    assert_string_equal(a.cmdline, b.cmdline);
    assert_string_equal(a.host, b.host);
    assert_string_equal(a.git_commit, b.git_commit);
    assert_string_equal(a.git_branch, b.git_branch);
    assert_string_equal(a.fingerprint, b.fingerprint);
    same_num(a.started, b.started, "run started");
    same_num(a.ended, b.ended, "run ended");
    assert_int_equal(a.env.len, b.env.len);
    for (size_t i = 0; i < a.env.len; i++) {
        assert_string_equal(a.env.items[i].key, b.env.items[i].key);
        assert_string_equal(a.env.items[i].value, b.env.items[i].value);
    }
    assert_int_equal(na, nb);
    assert_int_equal(na, 2);
    for (size_t i = 0; i < na; i++)
        same_result(&ra[i], &rb[i]);
    assert_int_equal(aib_series_load(sa, a.id, &xa, &err), 0);
    assert_int_equal(aib_series_load(sb, b.id, &xb, &err), 0);
    assert_int_equal(xa.len, 2);
    same_series(&xa, ra, &xb, rb, na);
    aib_series_free(&xa);
    aib_series_free(&xb);
    aib_results_free(ra, na);
    aib_results_free(rb, nb);
    aib_run_free(&a);
    aib_run_free(&b);
    aib_store_close(sa);
    aib_store_close(sb);
}

static void test_round_trip(void **state)
{
    struct fx *f = *state;
    struct aib_import_report rep = {0};
    struct aib_err err = {0};
    export_file(f, f->file);
    if (import_file(f->dst, f->file, &rep, &err) != 0)
        fail_msg("import: %s", err.msg);
    assert_int_equal(rep.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_false(rep.runs[i].skipped);
        assert_string_equal(rep.runs[i].uuid, f->uuid[i]);
        assert_true(rep.runs[i].id > 0);
    }
    aib_import_report_free(&rep);
    same_run(f->src, f->dst, f->uuid[0]);
    same_run(f->src, f->dst, f->uuid[1]);

    /* Exporting the imported runs (ids 1 and 2 there too) gives the same
     * document but for the time of the export. */
    char again[160], *t1 = NULL, *t2 = NULL;
    size_t l1 = 0, l2 = 0;
    snprintf(again, sizeof again, "%s/again.json", f->dir);
    snprintf(f->src, sizeof f->src, "%s", f->dst);
    export_file(f, again);
    assert_int_equal(aib_import_read_file(f->file, &t1, &l1, &err), 0);
    assert_int_equal(aib_import_read_file(again, &t2, &l2, &err), 0);
    char *e1 = strstr(t1, "\"exported_at\""), *e2 = strstr(t2, "\"exported_at\"");
    assert_non_null(e1);
    assert_non_null(e2);
    e1 = strchr(e1, '\n');
    e2 = strchr(e2, '\n');
    assert_int_equal(l1 - (size_t)(e1 - t1), l2 - (size_t)(e2 - t2));
    assert_memory_equal(e1, e2, l1 - (size_t)(e1 - t1));
    assert_true(l1 > 1000);
    free(t1);
    free(t2);
}

static void test_import_twice_adds_nothing(void **state)
{
    struct fx *f = *state;
    struct aib_import_report rep = {0};
    struct aib_err err = {0};
    export_file(f, f->file);
    assert_int_equal(import_file(f->dst, f->file, &rep, &err), 0);
    int64_t first = rep.runs[0].id;
    aib_import_report_free(&rep);
    assert_int_equal(import_file(f->dst, f->file, &rep, &err), 0);
    assert_int_equal(rep.n, 2);
    assert_true(rep.runs[0].skipped && rep.runs[1].skipped);
    assert_int_equal(rep.runs[0].id, first);
    aib_import_report_free(&rep);
    assert_int_equal(count_runs(f->dst), 2);
    /* Into the database the runs came from: all already there. */
    assert_int_equal(import_file(f->src, f->file, &rep, &err), 0);
    assert_true(rep.runs[0].skipped && rep.runs[1].skipped);
    assert_int_equal(rep.runs[0].id, f->ids[0]);
    aib_import_report_free(&rep);
    assert_int_equal(count_runs(f->src), 2);
}

/* Writes text[0..len) to path with the `cut` bytes at `at` replaced by `to`. */
static void write_at(const char *path, const char *text, size_t len, const char *at, size_t cut,
                     const char *to)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    if (at) {
        assert_true(at >= text && at + cut <= text + len);
        fwrite(text, 1, (size_t)(at - text), fp);
        fputs(to, fp);
        fwrite(at + cut, 1, len - (size_t)(at + cut - text), fp);
    } else {
        fwrite(text, 1, len, fp);
    }
    fclose(fp);
}

/* The same with the first `from` replaced by `to`. */
static void write_variant(const char *path, const char *text, size_t len, const char *from,
                          const char *to)
{
    const char *at = from ? strstr(text, from) : NULL;
    if (from)
        assert_non_null(at);
    write_at(path, text, len, at, from ? strlen(from) : 0, to);
}

static void expect_refused(const char *db, const char *path, const char *needle)
{
    struct aib_import_report rep = {0};
    struct aib_err err = {0};
    int rc = import_file(db, path, &rep, &err);
    if (rc != AIB_EUSAGE)
        fail_msg("import of %s: rc %d, want AIB_EUSAGE (%s)", path, rc, err.msg);
    if (!strstr(err.msg, needle))
        fail_msg("expected '%s' in: %s", needle, err.msg);
    assert_null(strchr(err.msg, '\n'));
    assert_int_equal(rep.n, 0);
}

static void test_bad_files_import_nothing(void **state)
{
    struct fx *f = *state;
    struct aib_err err = {0};
    char *text = NULL, bad[160];
    size_t len = 0;
    export_file(f, f->file);
    assert_int_equal(aib_import_read_file(f->file, &text, &len, &err), 0);
    snprintf(bad, sizeof bad, "%s/bad.json", f->dir);

    write_variant(bad, text, len / 2, NULL, NULL); /* truncated */
    expect_refused(f->dst, bad, "unexpected end of input");
    expect_refused(f->dst, bad, "line ");
    write_variant(bad, text, len, "\"version\": 1", "\"version\": 99");
    expect_refused(f->dst, bad, "version 99 is newer than this aibench reads (1)");
    write_variant(bad, text, len, "\"format\": \"aibench-export\"", "\"format\": \"other\"");
    expect_refused(f->dst, bad, "not an aibench export");
    /* Hand edits: a wrong type deep inside the second run, a missing field,
     * a bad status, a trailing comma. */
    const char *second = strstr(strstr(text, f->uuid[1]), "\"samples\": [");
    assert_non_null(second);
    write_at(bad, text, len, second, strlen("\"samples\": ["), "\"samples\": [\"1\", ");
    expect_refused(f->dst, bad, "runs[1].results[0]: samples[0] should be a number or null");
    write_variant(bad, text, len, "\"median\":", "\"medain\":");
    expect_refused(f->dst, bad, "runs[0].results[0].stats: missing \"median\"");
    write_variant(bad, text, len, "\"status\": \"ok\"", "\"status\": \"great\"");
    expect_refused(f->dst, bad, "\"status\" should be");
    write_variant(bad, text, len, "\"cmdline\"", "\"uuid\": \"x\", \"cmdline\"");
    expect_refused(f->dst, bad, "duplicate key \"uuid\"");
    write_variant(bad, text, len, "\n  ]\n}", ",\n  ]\n}");
    expect_refused(f->dst, bad, "trailing comma");
    write_variant(bad, text, len, f->uuid[1], "not-a-uuid");
    expect_refused(f->dst, bad, "should be a UUID");
    /* None of them created a run (the database may exist, empty). */
    assert_int_equal(count_runs(f->dst), 0);
    free(text);
}

/* A failure after the first run is in: the transaction takes it back. */
static void test_failure_midway_rolls_back(void **state)
{
    struct fx *f = *state;
    struct aib_import_report rep = {0};
    struct aib_err err = {0};
    char sql[256];
    sqlite3 *db = NULL;
    export_file(f, f->file);
    assert_int_equal(count_runs(f->dst), 0); /* creates the database */
    snprintf(sql, sizeof sql,
             "CREATE TRIGGER refuse BEFORE INSERT ON runs WHEN NEW.uuid = '%s'"
             " BEGIN SELECT RAISE(ABORT, 'refused by test'); END",
             f->uuid[1]);
    assert_int_equal(sqlite3_open(f->dst, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    int rc = import_file(f->dst, f->file, &rep, &err);
    assert_int_not_equal(rc, 0);
    if (!strstr(err.msg, "refused by test") || !strstr(err.msg, f->uuid[1]))
        fail_msg("unexpected message: %s", err.msg);
    assert_int_equal(rep.n, 0);
    assert_int_equal(count_runs(f->dst), 0); /* the first run is not left behind */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_twice_adds_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files_import_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_midway_rolls_back, setup, teardown),
    };
    return cmocka_run_group_tests_name("export", tests, NULL, NULL);
}
