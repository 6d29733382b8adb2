/* The Prometheus writer and the export of stored runs: names as promtool
 * wants them, unit conversions, escaping, one family per name, no duplicate
 * series, and runs exported from a real SQLite file. The live endpoint is
 * in test_prom_serve.c. */
#include <dirent.h>
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

#include "../../results/prom.h"
#include "../../results/store.h"

static char *render(struct aib_prom *p)
{
    char *t = NULL;
    size_t n = 0;
    struct aib_err err = {0};
    assert_int_equal(aib_prom_render(p, &t, &n, &err), 0);
    assert_int_equal(strlen(t), n);
    return t;
}

static void test_names(void **state)
{
    (void)state;
    assert_true(aib_prom_metric_name_ok("aibench_host_load1"));
    assert_true(aib_prom_metric_name_ok("_x"));
    assert_false(aib_prom_metric_name_ok("1x"));
    assert_false(aib_prom_metric_name_ok("a-b"));
    assert_false(aib_prom_metric_name_ok("a:b")); /* colons: recording rules only */
    assert_false(aib_prom_metric_name_ok(""));
    assert_true(aib_prom_label_name_ok("device"));
    assert_false(aib_prom_label_name_ok("__name__"));
    assert_false(aib_prom_label_name_ok("9"));

    assert_null(aib_prom_name_problem("aibench_result_median_seconds", false));
    assert_null(aib_prom_name_problem("aibench_host_disk_read_bytes_total", true));
    assert_non_null(aib_prom_name_problem("aibench_host_disk_read_bytes", true));
    assert_non_null(aib_prom_name_problem("aibench_x_total", false));
    assert_non_null(aib_prom_name_problem("aibench_x_count", false));
    assert_non_null(aib_prom_name_problem("aibench_x_sum", false));
    assert_non_null(aib_prom_name_problem("aibench_x_bucket", false));
    assert_non_null(aib_prom_name_problem("aibench_lat_ms", false));
    assert_non_null(aib_prom_name_problem("aibench_rate_mb_per_second", false));
    assert_non_null(aib_prom_name_problem("aibench_m", false));
    assert_non_null(aib_prom_name_problem("aibench_lat_milliseconds", false));
    assert_non_null(aib_prom_name_problem("aibench_simd_bits", false));
    assert_non_null(aib_prom_name_problem("aibench_mem_kilobytes", false));
    assert_non_null(aib_prom_name_problem("aibench_up_gauge", false));
    assert_non_null(aib_prom_name_problem("aibench_hostLoad", false));

    char s[64];
    aib_prom_snake("perf.task_clock/iter", s, sizeof s);
    assert_string_equal(s, "perf_task_clock_iter");
    aib_prom_snake("--A  b..C--", s, sizeof s);
    assert_string_equal(s, "a_b_c");
    aib_prom_snake("", s, sizeof s);
    assert_string_equal(s, "");
}

static void test_metric_names_and_units(void **state)
{
    (void)state;
    static const struct {
        const char *metric, *unit, *want;
        double scale;
    } cases[] = {
        {"lat_p50_us", "us", "aibench_metric_lat_p50_seconds", 1e-6},
        {"mb_s", "MB/s", "aibench_metric_bytes_per_second", 1e6},
        {"recv_gbit_s", "Gbit/s", "aibench_metric_recv_bytes_per_second", 1.25e8},
        {"perf.task_clock/iter", "s", "aibench_metric_perf_task_clock_per_iteration_seconds", 1},
        {"system.cpu_util_mean", "%", "aibench_metric_system_cpu_util_mean_ratio", 0.01},
        {"system.cpu_freq_mean", "MHz", "aibench_metric_system_cpu_freq_mean_hertz", 1e6},
        {"nvml.temperature_max", "C", "aibench_metric_nvml_temperature_max_celsius", 1},
        {"rapl.package_power", "W", "aibench_metric_rapl_package_power_watts", 1},
        {"energy", "J", "aibench_metric_energy_joules", 1},
        {"gflops_per_watt", "GFLOP/J", "aibench_metric_flop_per_joule", 1e9},
        {"j_per_gflop", "J/GFLOP", "aibench_metric_joules_per_flop", 1e-9},
        {"loss_pct", "%", "aibench_metric_loss_ratio", 0.01},
        {"simd_bits", "bit", "aibench_metric_simd_bytes", 0.125},
        {"mean_file_kib", "KiB", "aibench_metric_mean_file_bytes", 1024},
        {"transactions_s", "1/s", "aibench_metric_transactions_per_second", 1},
        {"intensity", "flop/B", "aibench_metric_intensity_flop_per_byte", 1},
        {"perf.cycles", "", "aibench_metric_perf_cycles", 1},
        {"cpus_used", "CPUs", "aibench_metric_cpus_used", 1},
        {"m", "", "aibench_metric_mdim", 1},
        {"k", "", "aibench_metric_kdim", 1},
        {"retries_total", "", "aibench_metric_retries_total_value", 1},
        {"widgets", "widgets/s", "aibench_metric_widgets_widgets_per_second", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[160];
        double scale = 0;
        assert_true(aib_prom_metric_for("aibench_metric", cases[i].metric, cases[i].unit, out,
                                        sizeof out, &scale));
        assert_string_equal(out, cases[i].want);
        assert_true(scale == cases[i].scale);
        assert_null(aib_prom_name_problem(out, false));
    }
    char out[160];
    double scale;
    assert_false(aib_prom_metric_for("aibench_metric", "", "", out, sizeof out, &scale));
    assert_false(aib_prom_metric_for("aibench_metric", "a_long_name", "", out, 10, &scale));
}

static void test_escaping_and_values(void **state)
{
    (void)state;
    char buf[128];
    size_t n = aib_prom_escape_label("a\\b\"c\nd", buf, sizeof buf);
    assert_string_equal(buf, "a\\\\b\\\"c\\nd");
    assert_int_equal(n, strlen(buf));
    aib_prom_escape_label("caf\xc3\xa9 \xff\xc3", buf, sizeof buf); /* é kept, bad bytes '?' */
    assert_string_equal(buf, "caf\xc3\xa9 ??");
    aib_prom_escape_help("say \"hi\"\\\n", buf, sizeof buf);
    assert_string_equal(buf, "say \"hi\"\\\\\\n");
    /* Truncation: NUL-terminated, and the full length reported. */
    assert_int_equal(aib_prom_escape_label("\"\"\"\"", buf, 4), 8);
    assert_string_equal(buf, "\\\"\\");
    assert_int_equal(aib_prom_escape_label("ab", NULL, 0), 2);

    aib_prom_format_value(NAN, buf, sizeof buf);
    assert_string_equal(buf, "NaN");
    aib_prom_format_value(INFINITY, buf, sizeof buf);
    assert_string_equal(buf, "+Inf");
    aib_prom_format_value(-INFINITY, buf, sizeof buf);
    assert_string_equal(buf, "-Inf");
    aib_prom_format_value(12, buf, sizeof buf);
    assert_string_equal(buf, "12");
    aib_prom_format_value(0.1, buf, sizeof buf);
    assert_string_equal(buf, "0.1");
    const double vals[] = {1.0 / 3, 2.0 / 3e-9, 1700000000.123456, 6.02e23, -1e-300};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        aib_prom_format_value(vals[i], buf, sizeof buf);
        assert_true(strtod(buf, NULL) == vals[i]);
    }
}

static void test_families(void **state)
{
    (void)state;
    struct aib_prom *p = NULL;
    struct aib_err err = {0};
    assert_int_equal(aib_prom_new(&p, &err), 0);
    assert_int_equal(aib_prom_family(p, "aibench_a_bytes", AIB_PROM_GAUGE, "A \\ help\n", &err), 0);
    assert_int_equal(aib_prom_family(p, "aibench_events_total", AIB_PROM_COUNTER, "B.", &err), 0);
    assert_int_equal(aib_prom_family(p, "aibench_empty", AIB_PROM_GAUGE, "Never used.", &err), 0);
    /* the same again is fine; another type or help is not */
    assert_int_equal(aib_prom_family(p, "aibench_a_bytes", AIB_PROM_GAUGE, "A \\ help\n", &err), 0);
    assert_int_equal(aib_prom_family(p, "aibench_a_bytes", AIB_PROM_GAUGE, "other", &err),
                     AIB_EUSAGE);
    assert_int_equal(aib_prom_family(p, "aibench_events_total", AIB_PROM_GAUGE, "B.", &err),
                     AIB_EUSAGE);
    assert_int_equal(aib_prom_family(p, "aibench_c", AIB_PROM_COUNTER, "C.", &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "_total"));

    const struct aib_prom_label l1[] = {{"device", "cpu"}, {"name", "a \"b\"\n"}};
    const struct aib_prom_label l2[] = {{"device", "opencl:0:0"}, {"name", "x"}};
    /* Added interleaved, written grouped: one family per name. */
    assert_int_equal(aib_prom_add(p, "aibench_a_bytes", l1, 2, 1024, &err), 0);
    assert_int_equal(aib_prom_add(p, "aibench_events_total", NULL, 0, 3, &err), 0);
    assert_int_equal(aib_prom_add(p, "aibench_a_bytes", l2, 2, 0.5, &err), 0);
    assert_true(aib_prom_has(p, "aibench_a_bytes", l2, 2));
    assert_false(aib_prom_has(p, "aibench_a_bytes", l2, 1));
    assert_true(aib_prom_declared(p, "aibench_empty"));
    assert_false(aib_prom_declared(p, "aibench_nope"));

    /* refused: duplicates, undeclared families, bad labels, bad counters */
    assert_int_equal(aib_prom_add(p, "aibench_a_bytes", l1, 2, 7, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "duplicate series"));
    assert_int_equal(aib_prom_add(p, "aibench_events_total", NULL, 0, 4, &err), AIB_EUSAGE);
    assert_int_equal(aib_prom_add(p, "aibench_nope", NULL, 0, 1, &err), AIB_EUSAGE);
    const struct aib_prom_label bad1[] = {{"le", "1"}};
    const struct aib_prom_label bad2[] = {{"__x", "1"}};
    const struct aib_prom_label bad3[] = {{"a", "1"}, {"a", "2"}};
    assert_int_equal(aib_prom_add(p, "aibench_a_bytes", bad1, 1, 1, &err), AIB_EUSAGE);
    assert_int_equal(aib_prom_add(p, "aibench_a_bytes", bad2, 1, 1, &err), AIB_EUSAGE);
    assert_int_equal(aib_prom_add(p, "aibench_a_bytes", bad3, 2, 1, &err), AIB_EUSAGE);
    const struct aib_prom_label c1[] = {{"x", "1"}};
    assert_int_equal(aib_prom_add(p, "aibench_events_total", c1, 1, -1, &err), AIB_EUSAGE);
    assert_int_equal(aib_prom_add(p, "aibench_events_total", c1, 1, NAN, &err), AIB_EUSAGE);

    char *t = render(p);
    assert_string_equal(t, "# HELP aibench_a_bytes A \\\\ help\\n\n"
                           "# TYPE aibench_a_bytes gauge\n"
                           "aibench_a_bytes{device=\"cpu\",name=\"a \\\"b\\\"\\n\"} 1024\n"
                           "aibench_a_bytes{device=\"opencl:0:0\",name=\"x\"} 0.5\n"
                           "# HELP aibench_events_total B.\n"
                           "# TYPE aibench_events_total counter\n"
                           "aibench_events_total 3\n");
    free(t);
    aib_prom_free(p);
    aib_prom_free(NULL);
}

/* --- stored runs, through a real database file ------------------------------- */

static void make_result(struct aib_result *r, const char *params, const char *status)
{
    memset(r, 0, sizeof *r);
    snprintf(r->workload, sizeof r->workload, "matmul");
    snprintf(r->device, sizeof r->device, "cpu");
    snprintf(r->params, sizeof r->params, "%s", params);
    snprintf(r->status, sizeof r->status, "%s", status);
    snprintf(r->unit, sizeof r->unit, "GFLOP/s");
    if (strcmp(status, AIB_STATUS_OK) != 0) {
        snprintf(r->error, sizeof r->error, "wrong answer");
        r->st = (struct aib_stats){.median = NAN, .ci_lo = NAN, .ci_hi = NAN};
        return;
    }
    for (int i = 0; i < 5; i++)
        assert_int_equal(aib_result_push_sample(r, 0.002 + i * 1e-4), 0);
    r->iters_per_sample = 3;
    r->st = (struct aib_stats){.n = 5, .min = 0.002, .max = 0.0024, .mean = 0.0022,
                               .median = 0.0022, .stddev = 1.5e-4, .cv = 0.07, .p95 = 0.0024,
                               .ci_lo = 0.0021, .ci_hi = 0.0023, .outliers = 1};
    r->flops = 2e8;
    r->throughput = 90.9;
    assert_int_equal(aib_result_set_metric(r, "lat_p50_us", 250, "us", 1, NULL), 0);
    assert_int_equal(aib_result_set_metric(r, "perf.cycles", 0, "", 0, "no PMU"), 0);
    assert_int_equal(aib_result_set_metric(r, "m", 512, "", 1, "rows of C"), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static const size_t cap = 1 << 20;
    char *buf = calloc(1, cap);
    assert_non_null(buf);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
    closedir(d);
    return n;
}

static void test_export_runs(void **state)
{
    (void)state;
    char dir[] = "/tmp/aib_prom_XXXXXX", db[96], out[96], sub[96];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/r.db", dir);
    snprintf(out, sizeof out, "%s/aibench.prom", dir);
    struct aib_store *s = NULL;
    struct aib_err err = {0};
    assert_int_equal(aib_store_open(db, true, false, &s, &err), 0);
    struct aib_run run = {0};
    snprintf(run.host, sizeof run.host, "box \"1\"");
    snprintf(run.suite, sizeof run.suite, "quick");
    run.started = 1700000000.5;
    assert_int_equal(aib_kv_set(&run.env, "aibench.version", "0.9"), 0);
    assert_int_equal(aib_store_run_begin(s, &run, &err), 0);
    struct aib_result r[2];
    make_result(&r[0], "n=512,precision=fp32", AIB_STATUS_OK);
    make_result(&r[1], "n=64,precision=fp32", AIB_STATUS_FAILED);
    for (int i = 0; i < 2; i++)
        assert_int_equal(aib_store_result_add(s, run.id, &r[i], &err), 0);
    snprintf(run.status, sizeof run.status, AIB_STATUS_FAILED);
    run.ended = 1700000009.25;
    assert_int_equal(aib_store_run_end(s, &run, &err), 0);

    const int64_t ids[] = {run.id, run.id}; /* listed twice: written once */
    assert_int_equal(aib_prom_export_runs(s, ids, 2, out, &err), 0);
    char *t = slurp(out);
    char want[512];
    const char *lab = "run=\"%s\",host=\"box \\\"1\\\"\",workload=\"matmul\",device=\"cpu\","
                      "params=\"n=512,precision=fp32\"";
    char l0[256];
    snprintf(l0, sizeof l0, lab, run.uuid);
    snprintf(want, sizeof want, "aibench_result_throughput{%s,unit=\"GFLOP/s\"} 90.9\n", l0);
    assert_non_null(strstr(t, want));
    snprintf(want, sizeof want, "aibench_result_median_seconds{%s} 0.0022\n", l0);
    assert_non_null(strstr(t, want));
    snprintf(want, sizeof want, "aibench_result_samples{%s} 5\n", l0);
    assert_non_null(strstr(t, want));
    snprintf(want, sizeof want, "aibench_metric_lat_p50_seconds{%s} 0.00025\n", l0);
    assert_non_null(strstr(t, want));
    snprintf(want, sizeof want, "aibench_metric_mdim{%s} 512\n", l0);
    assert_non_null(strstr(t, want));
    snprintf(want, sizeof want,
             "aibench_run_start_timestamp_seconds{run=\"%s\",host=\"box \\\"1\\\"\"} "
             "1700000000.5\n",
             run.uuid);
    assert_non_null(strstr(t, want));
    assert_non_null(strstr(t, "status=\"failed\",git_commit=\"\",git_branch=\"\","
                              "aibench_version=\"0.9\"} 1\n"));
    assert_non_null(strstr(t, "params=\"n=64,precision=fp32\",status=\"failed\"} 1\n"));
    /* missing is never 0, a failed result has no speed, each family once */
    assert_null(strstr(t, "perf_cycles"));
    assert_null(strstr(t, "params=\"n=64,precision=fp32\",unit="));
    assert_null(strstr(t, "params=\"n=64,precision=fp32\"} "));
    const char *first = strstr(t, "# TYPE aibench_result_throughput gauge");
    assert_non_null(first);
    assert_null(strstr(first + 1, "# TYPE aibench_result_throughput"));
    free(t);

    struct stat sb;
    assert_int_equal(stat(out, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    assert_int_equal(count_entries(dir), 4); /* r.db, -wal, -shm, aibench.prom: no temp file */

    assert_int_equal(aib_prom_check_path(out, &err), 0);
    assert_int_equal(aib_prom_check_path("", &err), AIB_EUSAGE);
    assert_int_equal(aib_prom_check_path("/", &err), AIB_EUSAGE);
    assert_int_equal(aib_prom_check_path(dir, &err), AIB_EUSAGE);
    /* A directory, a missing directory: refused, nothing written. */
    assert_int_equal(aib_prom_export_runs(s, ids, 1, dir, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "directory"));
    snprintf(sub, sizeof sub, "%s/missing/x.prom", dir);
    assert_int_equal(aib_prom_export_runs(s, ids, 1, sub, &err), AIB_EUSAGE);
    assert_int_equal(aib_prom_export_runs(s, ids, 0, out, &err), AIB_EUSAGE);
    const int64_t none[] = {run.id + 100};
    assert_int_equal(aib_prom_export_runs(s, none, 1, sub, &err), AIB_EUSAGE);
    assert_int_equal(count_entries(dir), 4);

    aib_store_close(s);
    aib_results_free(NULL, 0);
    for (int i = 0; i < 2; i++)
        aib_result_free(&r[i]);
    aib_run_free(&run);
    const char *rm[] = {"r.db", "r.db-wal", "r.db-shm", "aibench.prom"};
    for (size_t i = 0; i < 4; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", dir, rm[i]);
        unlink(p);
    }
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_metric_names_and_units),
        cmocka_unit_test(test_escaping_and_values),
        cmocka_unit_test(test_families),
        cmocka_unit_test(test_export_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
