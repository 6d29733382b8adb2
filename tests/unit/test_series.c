/* Series storage against a real SQLite file (schema migration 4, blobs,
 * summary, cascade on delete), the profiling session's options, and a whole
 * engine run with profilers and the store and series sinks: counters as
 * metrics, series stored and read back. */
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../bench/engine.h"
#include "../../bench/sinks.h"
#include "../../profilers/profiler.h"
#include "../../profilers/series.h"
#include "../../results/store.h"
#include "fixtures.h"


static int64_t add_run_with_result(struct aib_store *s, int64_t *result_id)
{
    struct aib_run run = {0};
    struct aib_result r = {0};
    struct aib_err err = {0};
    snprintf(run.cmdline, sizeof run.cmdline, "test");
    assert_int_equal(aib_store_run_begin(s, &run, &err), 0);
    snprintf(r.workload, sizeof r.workload, "toy");
    snprintf(r.device, sizeof r.device, "cpu");
    snprintf(r.status, sizeof r.status, "ok");
    assert_int_equal(aib_store_result_add(s, run.id, &r, &err), 0);
    *result_id = r.id;
    aib_run_free(&run);
    return run.id;
}

static void test_round_trip(void **state)
{
    struct aib_tmp *f = *state;
    struct aib_err err = {0};
    int64_t rid = 0, run_id = add_run_with_result(f->s, &rid);
    struct aib_series_set set = {0}, got = {0};
    struct aib_series *a = aib_series_get(&set, "system", "cpu.util", "%", 1.7e9);
    assert_non_null(a);
    for (int i = 0; i < 50; i++)
        assert_int_equal(aib_series_push(a, 0.1 * i, i % 7 == 0 ? 100.0 : 12.5 + i), 0);
    struct aib_series *b = aib_series_get(&set, "nvml", "power", "W", 1.7e9 + 1);
    assert_int_equal(aib_series_push(b, 0.0, 1.0 / 3.0), 0); /* not exact in decimal */
    assert_non_null(aib_series_add(&set, "system", "empty", "", 1.7e9)); /* no points */
    assert_ptr_equal(aib_series_get(&set, "system", "cpu.util", "%", 0), &set.items[0]);
    aib_series_set_result(&set, rid);
    assert_int_equal(aib_series_store(f->s, run_id, &set, &err), 0);

    assert_int_equal(aib_test_sql_int(f->db, "SELECT count(*) FROM series"), 3);
    assert_int_equal(aib_test_sql_int(f->db, "SELECT length(t) FROM series WHERE name = 'cpu.util'"), 400);
    assert_int_equal(aib_series_load(f->s, run_id, &got, &err), 0);
    assert_int_equal(got.len, 3);
    const struct aib_series *x = &got.items[0];
    assert_string_equal(x->source, "system");
    assert_string_equal(x->unit, "%");
    assert_int_equal(x->result_id, rid);
    assert_int_equal(x->n, 50);
    assert_true(x->t0 == 1.7e9);
    for (size_t i = 0; i < 50; i++) { /* bit-exact through the blobs */
        assert_true(x->t[i] == set.items[0].t[i]);
        assert_true(x->v[i] == set.items[0].v[i]);
    }
    assert_true(x->min == 12.5 + 1 && x->max == 100.0);
    assert_true(fabs(x->mean - set.items[0].mean) < 1e-12);
    assert_true(got.items[1].v[0] == 1.0 / 3.0);
    assert_int_equal(got.items[2].n, 0);
    assert_true(isnan(got.items[2].mean)); /* no points: no summary, not 0 */
    assert_int_equal(aib_series_count(&got, rid), 3);
    assert_int_equal(aib_series_count(&got, 0), 0);

    /* Text summary and JSON. */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    aib_series_print(m, &got, rid);
    struct aib_json j;
    aib_json_init(&j, m, false);
    aib_series_json(&j, &got);
    aib_json_finish(&j);
    fclose(m);
    assert_non_null(strstr(buf, "system.cpu.util"));
    assert_non_null(strstr(buf, "COUNT"));
    assert_non_null(strstr(buf, "\"count\":50"));
    assert_non_null(strstr(buf, "\"mean\":null")); /* the empty series */
    free(buf);

    /* Deleting the run deletes its series. */
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", (long long)run_id);
    assert_int_equal(aib_store_delete_run(f->s, ref, &err), 0);
    assert_int_equal(aib_test_sql_int(f->db, "SELECT count(*) FROM series"), 0);
    aib_series_free(&set);
    aib_series_free(&got);
}

static void test_corrupt_blob(void **state)
{
    struct aib_tmp *f = *state;
    struct aib_err err = {0};
    int64_t rid = 0, run_id = add_run_with_result(f->s, &rid);
    struct aib_series_set set = {0}, got = {0};
    struct aib_series *a = aib_series_get(&set, "system", "load1", "", 0);
    assert_int_equal(aib_series_push(a, 0, 1), 0);
    assert_int_equal(aib_series_store(f->s, run_id, &set, &err), 0);
    aib_test_sql_exec(f->db, "UPDATE series SET n = 3");
    assert_int_equal(aib_series_load(f->s, run_id, &got, &err), AIB_EIO);
    assert_non_null(strstr(err.msg, "do not match"));
    aib_series_free(&set);
    aib_series_free(&got);
}

static void test_options(void **state)
{
    (void)state;
    struct aib_err err = {0};
    struct aib_profilers *p = NULL;
    double s = 0;
    assert_int_equal(aib_profilers_parse_interval("100", &s, &err), 0);
    assert_true(fabs(s - 0.1) < 1e-12);
    assert_int_equal(aib_profilers_parse_interval("250ms", &s, &err), 0);
    assert_true(fabs(s - 0.25) < 1e-12);
    assert_int_equal(aib_profilers_parse_interval("2s", &s, &err), 0);
    assert_true(fabs(s - 2) < 1e-12);
    const char *bad[] = {"0", "-5", "abc", "", "1e9", "nan", "10 ms"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(aib_profilers_parse_interval(bad[i], &s, &err), AIB_EUSAGE);
        assert_non_null(strstr(err.msg, "--sample-interval"));
    }
    assert_int_equal(aib_profilers_new("perf,bogus", NULL, &p, &err), AIB_EUSAGE);
    assert_null(p);
    assert_non_null(strstr(err.msg, "unknown profiler 'bogus'"));
    assert_int_equal(aib_profilers_new("perf,", NULL, &p, &err), AIB_EUSAGE);
    struct aib_prof_opts o = {.interval_s = 0};
    assert_int_equal(aib_profilers_new(NULL, &o, &p, &err), AIB_EUSAGE);
    assert_int_equal(aib_profilers_new("rapl,perf", NULL, &p, &err), 0);
    aib_profilers_free(p);
    assert_int_equal(aib_prof_registry_check(&err), 0);
    assert_non_null(aib_prof_find("nvml"));
    assert_non_null(aib_prof_find("cupti"));
    assert_null(aib_prof_find("no-such-profiler"));
}

/* A workload whose run() starts a thread per iteration and spins in it and
 * in the caller a fixed amount each; it adds up the CPU time both took, as
 * the threads themselves measure it, so the test can compare the counters
 * with it (CPU time, not wall time: a busy machine does not change it). */
struct tw_state {
    _Atomic long long cpu_ns;
    _Atomic long long iters;
};
static void *spin(void *arg)
{
    struct tw_state *st = arg;
    struct timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    volatile double x = 0;
    for (long i = 0; i < 1600000; i++)
        x += (double)i;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    st->cpu_ns += (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
    return NULL;
}
static int tw_setup(const struct aib_device *d, const void *p, void **s, struct aib_err *e)
{
    (void)d, (void)e;
    *s = (void *)p;
    return 0;
}
static int tw_run(void *s, uint64_t iters, struct aib_err *e)
{
    (void)e;
    for (uint64_t i = 0; i < iters; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, spin, s))
            return AIB_ERUN;
        spin(s);
        pthread_join(t, NULL);
    }
    ((struct tw_state *)s)->iters += (long long)iters;
    return 0;
}
static int tw_verify(void *s, struct aib_err *e)
{
    (void)s, (void)e;
    return 0;
}
static void tw_work(const void *p, struct aib_work *w)
{
    (void)p;
    *w = (struct aib_work){.flops = 3200000};
}
static void tw_teardown(void *s) { (void)s; }
static const struct aib_param tw_decl[] = {
    {"x", AIB_PT_INT, 0, "0", 0, 1, NULL, "unused"},
};
static const struct aib_workload_ops tw = {
    .name = "spin2", .abi = AIB_WORKLOAD_ABI, .devices = AIB_DEV_CPU, .summary = "spin",
    .params = {"spin2", tw_decl, 1, sizeof(struct tw_state)},
    .setup = tw_setup, .run = tw_run, .verify = tw_verify, .work = tw_work,
    .teardown = tw_teardown};

static void test_engine_run(void **state)
{
    struct aib_tmp *f = *state;
    struct aib_err err = {0};
    struct aib_device dev = {.kind = AIB_DEV_CPU, .cores = 2, .threads = 2,
                             .peak_fp32_gflops = 100};
    strcpy(dev.id, "cpu");
    struct tw_state params = {0};
    struct aib_plan plan = {.opts = {.warmup_s = 0.01, .min_time_s = 0.3, .max_time_s = 0.6,
                                     .min_reps = 5, .target_ci = 0.0001}};
    struct aib_plan_entry e = {.w = &tw, .dev = &dev, .params = &params};
    plan.items = &e;
    plan.len = 1;
    struct aib_profilers *prof = NULL;
    struct aib_prof_opts po = {.interval_s = 0.02};
    assert_int_equal(aib_profilers_new("system,perf,rapl,nvml", &po, &prof, &err), 0);
    struct aib_store_sink ss;
    struct aib_series_sink sr;
    struct aib_sink sinks[2];
    aib_store_sink_init(&ss, &sinks[0], f->s);
    aib_series_sink_init(&sr, &sinks[1], f->s, prof);
    volatile sig_atomic_t stop = 0;
    struct aib_engine eng = {.plan = &plan, .sinks = sinks, .nsinks = 2, .stop = &stop,
                             .prof = prof};
    struct aib_run run = {0};
    assert_int_equal(aib_engine_run(&eng, &run, &err), 0);

    struct aib_run got = {0};
    struct aib_result *res = NULL;
    size_t n = 0;
    assert_int_equal(aib_store_load_run(f->s, "last", &got, &res, &n, &err), 0);
    assert_int_equal(n, 1);
    const struct aib_metric *tc = aib_result_metric(&res[0], "perf.task_clock");
    assert_non_null(tc);
    char why[128];
    if (aib_prof_perf.probe(&dev, NULL, why, sizeof why)) {
        assert_true(tc->valid);
        assert_true(tc->value > 0);
        /* The thread each iteration starts is counted too: the task clock per
         * iteration is the CPU time both threads measured (it would be half
         * if the counters saw only the engine's thread). */
        const struct aib_metric *tci = aib_result_metric(&res[0], "perf.task_clock/iter");
        double own = (double)params.cpu_ns * 1e-9 / (double)params.iters;
        if (!(tci->value > 0.75 * own && tci->value < 1.75 * own))
            fail_msg("task clock %.6f s per iteration, the threads measured %.6f s", tci->value, own);
        const struct aib_metric *cpus = aib_result_metric(&res[0], "cpus_used");
        assert_true(cpus && cpus->valid && cpus->value > 0);
        /* Hardware counters: counted, or missing with a reason; never a silent 0. */
        const struct aib_metric *cyc = aib_result_metric(&res[0], "perf.cycles");
        assert_non_null(cyc);
        assert_true(cyc->valid ? cyc->value > 0 : cyc->note[0] != '\0');
        const struct aib_metric *ipc = aib_result_metric(&res[0], "ipc");
        assert_true(ipc && ipc->valid == cyc->valid);
    } else { /* perf_event_open refused altogether here: missing, with the reason */
        assert_false(tc->valid);
        assert_string_equal(tc->note, why);
    }
    const struct aib_metric *pf = aib_result_metric(&res[0], "peak_fraction");
    assert_non_null(pf);
    assert_true(pf->valid && pf->value > 0);
    /* NVML does not apply to a CPU entry. */
    assert_null(aib_result_metric(&res[0], "nvml.energy"));
    const struct aib_metric *en = aib_result_metric(&res[0], "energy");
    assert_non_null(en);
    assert_true(en->valid ? en->value > 0 : en->note[0] != '\0');

    struct aib_series_set ser = {0};
    assert_int_equal(aib_series_load(f->s, got.id, &ser, &err), 0);
    const struct aib_series *util = NULL;
    for (size_t i = 0; i < ser.len; i++)
        if (strcmp(ser.items[i].name, "cpu.util") == 0)
            util = &ser.items[i];
    assert_non_null(util);
    assert_int_equal(util->result_id, res[0].id);
    assert_true(util->n >= 3); /* 0.3 s or more at 20 ms */
    for (size_t i = 1; i < util->n; i++)
        assert_true(util->t[i] > util->t[i - 1]);
    assert_true(util->t[0] >= 0);
    aib_series_free(&ser);
    aib_results_free(res, n);
    aib_run_free(&got);
    aib_run_free(&run);
    aib_profilers_free(prof);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, aib_tmp_store_setup, aib_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_blob, aib_tmp_store_setup, aib_tmp_teardown),
        cmocka_unit_test(test_options),
        cmocka_unit_test_setup_teardown(test_engine_run, aib_tmp_store_setup, aib_tmp_teardown),
    };
    return cmocka_run_group_tests_name("series", tests, NULL, NULL);
}
