/* The cupti profiler's main-binary side, without a GPU: --metrics lists
 * (split, checked), short names for long CUPTI names, units, the profiler
 * on a CUDA device with no plugin behind it (every value missing with the
 * reason), the pre-run check against a plan, the profiling-permission
 * check on real files; and the plugin's CUPTI host hooks (the real
 * build/aibench-cuda.so, or $AIB_PLUGIN_PATH, and the toolkit's CUPTI):
 * pass counts, a misspelled metric, an unknown chip, and a session on a
 * device that does not exist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../devices/cuda.h"
#include "../../profilers/cupti.h"

static void test_parse_metrics(void **state)
{
    (void)state;
    struct aib_cupti_sets s;
    struct aib_err err = {0};
    assert_int_equal(aib_cupti_parse_metrics("dram__bytes_read.sum,pm:dram__bytes_read.sum,range:gpu__time_duration.sum",
                                             &s, &err),
                     0);
    assert_int_equal(s.n_range, 2);
    assert_string_equal(s.range[0], "dram__bytes_read.sum");
    assert_string_equal(s.range[1], "gpu__time_duration.sum");
    assert_int_equal(s.n_pm, 1);
    assert_string_equal(s.pm[0], "dram__bytes_read.sum");
    aib_cupti_sets_free(&s);
    assert_int_equal(s.n_range, 0);

    static const struct {
        const char *list, *msg;
    } bad[] = {
        {"", "empty list"},
        {"a.sum,,b.sum", "empty metric name"},
        {"a.sum,", "empty metric name"},
        {",a.sum", "empty metric name"},
        {"pm:", "empty metric name"},
        {"a.sum b.sum", "bad character ' '"},
        {"dram-bytes", "bad character '-'"},
        {"a.sum,a.sum", "'a.sum' is given twice for the range profiler"},
        {"pm:a.sum,pm:a.sum", "twice for the PM-sampling set"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(aib_cupti_parse_metrics(bad[i].list, &s, &err), AIB_EUSAGE);
        if (!strstr(err.msg, bad[i].msg) || strncmp(err.msg, "--metrics", 9) != 0 || strchr(err.msg, '\n'))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].list, err.msg, bad[i].msg);
        assert_null(s.range);
        assert_null(s.pm);
    }
    assert_int_equal(aib_cupti_parse_metrics(NULL, &s, &err), AIB_EUSAGE);

    /* 64 names fit one set, 65 do not; a name of 128 characters is too long. */
    char list[64 * 8 + 16] = "", big[140];
    for (int i = 0; i < 65; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%sm%d.sum", i ? "," : "", i);
    assert_int_equal(aib_cupti_parse_metrics(list, &s, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "more than 64"));
    *strrchr(list, ',') = '\0';
    assert_int_equal(aib_cupti_parse_metrics(list, &s, &err), 0);
    assert_int_equal(s.n_range, 64);
    aib_cupti_sets_free(&s);
    memset(big, 'a', 128);
    big[128] = '\0';
    assert_int_equal(aib_cupti_parse_metrics(big, &s, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "longer than 127"));
}

static void test_short_names(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(aib_cupti_short_name("dram__bytes_read.sum", 36, out, sizeof out), 0);
    assert_string_equal(out, "dram__bytes_read.sum");
    assert_int_equal(aib_cupti_short_name("sm__warps_active.avg.pct_of_peak_sustained_active", 41, out, sizeof out), 1);
    assert_string_equal(out, "sm__warps_active.avg.pct_active");
    assert_int_equal(aib_cupti_short_name("sm__cycles_active.avg.pct_of_peak_sustained_elapsed", 41, out, sizeof out), 1);
    assert_string_equal(out, "sm__cycles_active.avg.pct_elapsed");
    /* Only as far as needed: cycles_active stays while the name fits. */
    assert_int_equal(aib_cupti_short_name("sm__pipe_tensor_cycles_active_realtime.avg.pct_of_peak_sustained_elapsed",
                                          47, out, sizeof out),
                     1);
    assert_string_equal(out, "sm__pipe_tensor_active_rt.avg.pct_elapsed");
    assert_int_equal(aib_cupti_short_name("sm__pipe_tensor_cycles_active.avg.pct_of_peak_sustained_elapsed", 41, out,
                                          sizeof out),
                     1);
    assert_string_equal(out, "sm__pipe_tensor_active.avg.pct_elapsed");

    /* Still too long: the start, '~' and 8 hex digits; exactly `max` long,
     * the same every time, different for names that share the start. */
    const char *a = "smsp__sass_thread_inst_executed_op_ffma_pred_on.sum";
    const char *b = "smsp__sass_thread_inst_executed_op_fmul_pred_on.sum";
    char oa[64], ob[64], oa2[64];
    assert_int_equal(aib_cupti_short_name(a, 20, oa, sizeof oa), 1);
    assert_int_equal(aib_cupti_short_name(b, 20, ob, sizeof ob), 1);
    aib_cupti_short_name(a, 20, oa2, sizeof oa2);
    assert_int_equal(strlen(oa), 20);
    assert_int_equal(strlen(ob), 20);
    assert_string_equal(oa, oa2);
    assert_string_not_equal(oa, ob);
    assert_memory_equal(oa, "smsp__thre", 10);
    assert_int_equal(oa[11], '~');

    /* Every default name fits the metric and series limits of profilers/cupti.c. */
    static const char *const defaults[] = {
        "dram__bytes_read.sum", "dram__bytes_write.sum", "gpu__time_duration.sum",
        "sm__inst_executed_pipe_tensor.sum", "sm__inst_executed_realtime.sum.per_second",
        "gpc__cycles_elapsed.avg.per_second", "dram__throughput.avg.pct_of_peak_sustained_elapsed",
        "sm__warps_active_realtime.avg.pct_of_peak_sustained_active", "pcie__read_bytes.sum.per_second"};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        aib_cupti_short_name(defaults[i], 41, out, sizeof out);
        assert_null(strchr(out, '~'));
        assert_true(strlen(out) <= 41);
    }
}

static void test_units(void **state)
{
    (void)state;
    static const struct {
        const char *dim, *unit;
        double scale;
    } t[] = {{"nanosecond", "s", 1e-9}, {"percent", "%", 1},        {"byte", "B", 1},
             {"byte/second", "B/s", 1}, {"cycle/second", "Hz", 1}, {"inst", "inst", 1},
             {"", "", 1}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char u[16];
        double sc = 0;
        aib_cupti_unit(t[i].dim, u, sizeof u, &sc);
        assert_string_equal(u, t[i].unit);
        assert_true(sc == t[i].scale);
    }
}

static void test_selected(void **state)
{
    (void)state;
    assert_true(aib_cupti_selected(NULL));
    assert_true(aib_cupti_selected("all"));
    assert_true(aib_cupti_selected("perf,cupti"));
    assert_true(aib_cupti_selected("cupti"));
    assert_false(aib_cupti_selected("none"));
    assert_false(aib_cupti_selected("perf,nvml"));
    assert_false(aib_cupti_selected("cuptix,xcupti"));
}

static void test_restricted(void **state)
{
    (void)state;
    char path[] = "/tmp/aib-cupti-params-XXXXXX", why[512] = "";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("ResmanDebugLevel: 4294967295\nRmProfilingAdminOnly: 1\nEnableMSI: 1\n", f);
    fclose(f);
    assert_int_equal(aib_cupti_restricted(path, 1000, why, sizeof why), 1);
    assert_non_null(strstr(why, "NVreg_RestrictProfilingToAdminUsers=0"));
    assert_non_null(strstr(why, "run as root"));
    assert_int_equal(aib_cupti_restricted(path, 0, why, sizeof why), 0);
    f = fopen(path, "w");
    fputs("RmProfilingAdminOnly: 0\n", f);
    fclose(f);
    assert_int_equal(aib_cupti_restricted(path, 1000, why, sizeof why), 0);
    unlink(path);
    assert_int_equal(aib_cupti_restricted(path, 1000, why, sizeof why), 0);
}

/* A CUDA device made by hand: no plugin behind it. */
static struct aib_device fake_gpu(void)
{
    struct aib_device d = {.kind = AIB_DEV_CUDA, .index = 0, .platform_index = -1};
    strcpy(d.id, "cuda:0");
    return d;
}

static void test_profiler_without_plugin(void **state)
{
    (void)state;
    struct aib_device d = fake_gpu();
    struct aib_prof_opts o = {.interval_s = 0.01,
                              .metrics = "dram__bytes_read.sum,sm__cycles_active.avg.pct_of_peak_sustained_elapsed"};
    struct aib_err err = {0};
    char why[128] = "";
    assert_int_equal(aib_prof_cupti.probe(&d, &o, why, sizeof why), 0);
    assert_string_equal(why, "no CUDA device");
    assert_true(aib_prof_cupti.devices == AIB_DEV_CUDA);

    void *st = NULL;
    assert_int_equal(aib_prof_cupti.open(&d, &o, &st, &err), 0);
    assert_int_equal(aib_prof_cupti.start(st, &err), 0);
    assert_int_equal(aib_prof_cupti.stop(st, &err), 0);
    struct aib_prof_values v = {0};
    assert_int_equal(aib_prof_cupti.read(st, &v, &err), 0);
    static const char *const want[] = {"dram__bytes_read.sum", "sm__cycles_active.avg.pct_elapsed", "range_passes",
                                       "range_dropped", "kernels", "pm_samples"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct aib_prof_value *x = aib_prof_values_get(&v, want[i]);
        if (!x)
            fail_msg("no value %s", want[i]);
        assert_false(x->valid);
        assert_true(x->value == 0);
        if (!strstr(x->note, "no CUDA device"))
            fail_msg("%s: note '%s'", want[i], x->note);
    }
    /* The abbreviated name keeps the full one in its note. */
    assert_non_null(strstr(aib_prof_values_get(&v, "sm__cycles_active.avg.pct_elapsed")->note,
                           "sm__cycles_active.avg.pct_of_peak_sustained_elapsed"));
    for (size_t i = 0; i < v.len; i++)
        assert_false(v.items[i].valid);
    struct aib_series_set s = {0};
    assert_int_equal(aib_prof_cupti.series(st, &s, &err), 0);
    assert_int_equal(s.len, 0);
    aib_prof_values_free(&v);
    aib_prof_cupti.close(st);
}

static void test_check_run(void **state)
{
    (void)state;
    struct aib_device cpu = {.kind = AIB_DEV_CPU, .index = -1};
    strcpy(cpu.id, "cpu");
    struct aib_device gpu = fake_gpu();
    struct aib_plan_entry e[2] = {{.dev = &cpu}, {.dev = &gpu}};
    struct aib_plan cpu_only = {.items = e, .len = 1}, both = {.items = e, .len = 2};
    struct aib_err err = {0};
    char *notes = NULL;
    size_t nlen = 0;
    FILE *f = open_memstream(&notes, &nlen);

    assert_int_equal(aib_cupti_check_run(NULL, NULL, &cpu_only, f, &err), 0);
    assert_int_equal(aib_cupti_check_run("dram__bytes_read.sum", NULL, &cpu_only, f, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "CUDA devices only"));
    assert_int_equal(aib_cupti_check_run("dram__bytes_read.sum", "none", &both, f, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "--profilers none leaves it out"));
    assert_int_equal(aib_cupti_check_run("dram__bytes_read.sum", "perf,nvml", &both, f, &err), AIB_EUSAGE);
    /* An unknown profiler name is left to the profiler session to report. */
    assert_int_equal(aib_cupti_check_run("dram__bytes_read.sum", "perf,bogus", &both, f, &err), 0);
    assert_int_equal(aib_cupti_check_run("a,,b", NULL, &both, f, &err), AIB_EUSAGE);
    assert_int_equal(aib_cupti_check_run("dram__bytes_read.sum", "cupti", &both, f, &err), AIB_EUSAGE);
    assert_non_null(strstr(err.msg, "no CUPTI for cuda:0: the CUDA plugin is not loaded"));
    /* Without --metrics nothing is refused; the missing CUPTI is a note. */
    fflush(f);
    size_t before = nlen;
    assert_int_equal(aib_cupti_check_run(NULL, NULL, &both, f, &err), 0);
    fclose(f);
    assert_true(nlen > before);
    assert_non_null(strstr(notes + before, "note: CUPTI counters of cuda:0 will be missing"));
    free(notes);
}

/* --- the plugin's host-side hooks -------------------------------------------- */

/* libcupti opens libnvperf_host with RTLD_DEEPBIND, which AddressSanitizer
 * refuses: in the sanitized build the hooks say so instead of aborting. */
#ifdef __SANITIZE_ADDRESS__
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

struct loaded {
    struct aib_cuda_loaded l;
    int cupti; /* CUPTI found */
};

static int load_plugin(void **state)
{
    const char *p = getenv("AIB_PLUGIN_PATH");
    static struct loaded x;
    char why[512] = "", where[512] = "";
    setenv("AIBENCH_CUDA_PLUGIN", p && p[0] ? p : "build/aibench-cuda.so", 1);
    if (aib_cuda_plugin_load(&x.l, why, sizeof why))
        fail_msg("the CUDA plugin does not load: %s", why);
    x.cupti = x.l.pl->cupti_load(where, sizeof where, why, sizeof why) == 0;
    if (!x.cupti && !strstr(why, SANITIZED ? "AddressSanitizer" : "CUPTI not found"))
        fail_msg("cupti_load: %s", why);
    *state = &x;
    return 0;
}

static int unload_plugin(void **state)
{
    struct loaded *x = *state;
    aib_cuda_plugin_unload(&x->l);
    return 0;
}

static void test_host_hooks(void **state)
{
    struct loaded *x = *state;
    const struct aib_cuda_plugin *pl = x->l.pl;
    char why[1024] = "";
    size_t passes = 0;
    char chips[1024] = "";
    if (SANITIZED) {
        const char *one[] = {"dram__bytes_read.sum"};
        assert_false(x->cupti);
        assert_int_equal(pl->cupti_chips(chips, sizeof chips, why, sizeof why), -1);
        assert_non_null(strstr(why, "CUPTI cannot run in a process built with AddressSanitizer"));
        assert_int_equal(pl->cupti_check("GH100", AIB_CUPTI_RANGE, one, 1, &passes, why, sizeof why), -1);
        assert_non_null(strstr(why, "AddressSanitizer"));
        return;
    }
    /* This toolkit ships CUPTI. */
    assert_true(x->cupti);
    assert_int_equal(pl->cupti_chips(chips, sizeof chips, why, sizeof why), 0);
    assert_non_null(strstr(chips, "GH100"));

    /* The default sets: the range set in few passes, the PM set in one. */
    struct aib_cupti_sets s;
    struct aib_err err = {0};
    assert_int_equal(aib_cupti_parse_metrics(pl->cupti_defaults(AIB_CUPTI_RANGE), &s, &err), 0);
    assert_true(s.n_range >= 5);
    assert_int_equal(pl->cupti_check("GH100", AIB_CUPTI_RANGE, (const char *const *)s.range, s.n_range, &passes,
                                     why, sizeof why),
                     0);
    assert_true(passes >= 1 && passes <= 4);
    aib_cupti_sets_free(&s);
    assert_int_equal(aib_cupti_parse_metrics(pl->cupti_defaults(AIB_CUPTI_PM), &s, &err), 0);
    assert_int_equal(pl->cupti_check("GH100", AIB_CUPTI_PM, (const char *const *)s.range, s.n_range, &passes, why,
                                     sizeof why),
                     0);
    assert_int_equal(passes, 1);
    aib_cupti_sets_free(&s);

    const char *bad[] = {"dram__bytes_read.sum", "dram__bytes_reed.sum"};
    assert_int_equal(pl->cupti_check("GH100", AIB_CUPTI_RANGE, bad, 2, &passes, why, sizeof why),
                     AIB_CUPTI_EBADNAME);
    assert_non_null(strstr(why, "unknown metric 'dram__bytes_reed.sum'"));
    assert_non_null(strstr(why, "did you mean 'dram__bytes_read.sum'"));
    const char *no_rollup[] = {"dram__bytes_read"};
    assert_int_equal(pl->cupti_check("GH100", AIB_CUPTI_RANGE, no_rollup, 1, &passes, why, sizeof why),
                     AIB_CUPTI_EBADNAME);
    assert_non_null(strstr(why, "rollup"));
    assert_int_equal(pl->cupti_check("GX999", AIB_CUPTI_RANGE, bad, 1, &passes, why, sizeof why),
                     AIB_CUPTI_EBADNAME);
    assert_non_null(strstr(why, "unknown chip 'GX999'"));
}

static void test_session_without_device(void **state)
{
    struct loaded *x = *state;
    const struct aib_cuda_plugin *pl = x->l.pl;
    char why[512] = "", chip[64] = "";
    /* No GPU 63 anywhere: device-side CUPTI is never touched (it would crash
     * without a driver), every part is missing with the reason. */
    assert_int_equal(pl->cupti_device_chip(63, chip, sizeof chip, why, sizeof why), -1);
    assert_non_null(strstr(why, "no CUDA device"));
    struct aib_cupti_config cfg = {.interval_s = 0.01};
    struct aib_cupti_session *s = NULL;
    assert_int_equal(pl->cupti_open(63, &cfg, &s, why, sizeof why), 0);
    assert_non_null(s);
    assert_int_equal(pl->cupti_start(s, why, sizeof why), 0);
    assert_int_equal(pl->cupti_stop(s, why, sizeof why), 0);
    const struct aib_cupti_report *r = pl->cupti_report(s);
    assert_non_null(r);
    assert_non_null(r->range_missing);
    assert_non_null(strstr(r->range_missing, "no CUDA device"));
    assert_non_null(r->pm_missing);
    assert_non_null(r->trace_missing);
    assert_int_equal(r->n_range, 0);
    assert_int_equal(r->n_pm, 0);
    pl->cupti_close(s);
    assert_int_equal(pl->cupti_open(-1, &cfg, &s, why, sizeof why), -1);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_metrics),
        cmocka_unit_test(test_short_names),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_selected),
        cmocka_unit_test(test_restricted),
        cmocka_unit_test(test_profiler_without_plugin),
        cmocka_unit_test(test_check_run),
        cmocka_unit_test_setup_teardown(test_host_hooks, load_plugin, unload_plugin),
        cmocka_unit_test_setup_teardown(test_session_without_device, load_plugin, unload_plugin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
