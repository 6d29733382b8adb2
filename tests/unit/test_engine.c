/* The engine's stopping rule, failure and interrupt paths (the CPU matmul
 * workload's answer is tested in test_matmul_cpu.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../bench/engine.h"

/* A toy workload: spins for `us` microseconds per iteration; verify fails
 * when `bad` is set. */
struct toy_params {
    int64_t us;
    int64_t bad;
};
static const struct aib_param toy_decl[] = {
    {"us", AIB_PT_INT, offsetof(struct toy_params, us), "50", 1, 1e6, NULL, "spin time"},
    {"bad", AIB_PT_INT, offsetof(struct toy_params, bad), "0", 0, 1, NULL, "fail verify"},
};
static int toy_setup(const struct aib_device *d, const void *p, void **s, struct aib_err *e)
{
    (void)d;
    (void)e;
    *s = (void *)p;
    return 0;
}
static int toy_run(void *s, uint64_t iters, struct aib_err *e)
{
    (void)e;
    const struct toy_params *p = s;
    double end = aib_now_mono() + (double)p->us * 1e-6 * (double)iters;
    while (aib_now_mono() < end)
        ;
    return 0;
}
static int toy_verify(void *s, struct aib_err *e)
{
    const struct toy_params *p = s;
    return p->bad ? aib_err_set(e, AIB_EVERIFY, "wrong answer: toy") : 0;
}
static void toy_work(const void *p, struct aib_work *w)
{
    (void)p;
    *w = (struct aib_work){.ops = 1};
}
static void toy_teardown(void *s) { (void)s; }
static const struct aib_workload_ops toy = {
    .name = "toy", .abi = AIB_WORKLOAD_ABI, .devices = AIB_DEV_CPU, .summary = "toy",
    .params = {"toy", toy_decl, 2, sizeof(struct toy_params)},
    .setup = toy_setup, .run = toy_run, .verify = toy_verify, .work = toy_work,
    .teardown = toy_teardown};

/* A sink that keeps copies of the results and can raise the stop flag. */
struct capture {
    struct aib_result res[8];
    size_t n;
    size_t stop_after; /* samples; 0 = never */
    volatile sig_atomic_t *stop;
};
static void cap_sample(void *ctx, const struct aib_result *r)
{
    struct capture *c = ctx;
    if (c->stop_after && r->nsamples >= c->stop_after)
        *c->stop = SIGINT;
}
static int cap_result(void *ctx, struct aib_result *r, struct aib_err *e)
{
    (void)e;
    struct capture *c = ctx;
    c->res[c->n] = *r;
    c->res[c->n].samples = NULL;
    c->res[c->n].cap = 0;
    c->n++;
    return 0;
}

static struct aib_device cpu_dev(void)
{
    struct aib_device d = {.kind = AIB_DEV_CPU, .cores = 2, .threads = 2};
    strcpy(d.id, "cpu");
    return d;
}

static int run_one(const struct aib_workload_ops *w, void *params, struct aib_engine_opts o,
                   struct capture *cap, struct aib_run *run)
{
    struct aib_device dev = cpu_dev();
    struct aib_plan plan = {.opts = o};
    struct aib_plan_entry e = {.w = w, .dev = &dev, .params = params};
    plan.items = &e;
    plan.len = 1;
    volatile sig_atomic_t stop = 0;
    cap->stop = &stop;
    struct aib_sink s = {.name = "cap", .ctx = cap, .sample = cap_sample, .result = cap_result};
    struct aib_engine eng = {.plan = &plan, .sinks = &s, .nsinks = 1, .stop = &stop};
    struct aib_err err = {0};
    return aib_engine_run(&eng, run, &err);
}

static void test_stops_at_target(void **state)
{
    (void)state;
    struct toy_params p = {.us = 2000};
    struct aib_engine_opts o = {.warmup_s = 0.01, .min_time_s = 0.05, .max_time_s = 5,
                                .min_reps = 10, .target_ci = 0.5};
    struct capture cap = {0};
    struct aib_run run = {0};
    assert_int_equal(run_one(&toy, &p, o, &cap, &run), 0);
    assert_string_equal(run.status, "ok");
    assert_int_equal(cap.n, 1);
    /* 2 ms per sample: stopped by the CI target long before max_time
     * (5 s = 2500 samples); bounds are loose for a busy machine. */
    assert_true(cap.res[0].st.n >= 10 && cap.res[0].st.n < 2000);
    assert_true(cap.res[0].st.median >= 0.0019 && cap.res[0].st.median < 1.0);
    assert_string_equal(cap.res[0].unit, "op/s");
    assert_true(fabs(cap.res[0].throughput - 1.0 / cap.res[0].st.median) < 1e-6);
}

static void test_stops_at_max_time(void **state)
{
    (void)state;
    struct toy_params p = {.us = 100};
    /* A warm-up of many iterations: the calibration uses the fastest, so a
     * preempted iteration on a busy machine does not skew it. */
    struct aib_engine_opts o = {.warmup_s = 0.05, .min_time_s = 0, .max_time_s = 0.1,
                                .min_reps = 1000000, .target_ci = 1e-9};
    struct capture cap = {0};
    struct aib_run run = {0};
    double t0 = aib_now_mono();
    assert_int_equal(run_one(&toy, &p, o, &cap, &run), 0);
    double dt = aib_now_mono() - t0;
    assert_true(dt >= 0.15 && dt < 10.0);
    /* samples batch iterations to >= 1 ms: 100 us -> about 10 per sample */
    assert_true(cap.res[0].iters_per_sample >= 5);
}

static void test_wrong_answer_reports_no_speed(void **state)
{
    (void)state;
    struct toy_params p = {.us = 10, .bad = 1};
    struct aib_engine_opts o = {.warmup_s = 0, .min_time_s = 0, .max_time_s = 0.05, .min_reps = 3,
                                .target_ci = 0.5};
    struct capture cap = {0};
    struct aib_run run = {0};
    assert_int_equal(run_one(&toy, &p, o, &cap, &run), AIB_ERUN);
    assert_string_equal(run.status, "failed");
    assert_string_equal(cap.res[0].status, "failed");
    assert_non_null(strstr(cap.res[0].error, "wrong answer"));
    assert_int_equal(cap.res[0].st.n, 0);
    assert_true(cap.res[0].throughput == 0);
}

static void test_interrupt_keeps_samples(void **state)
{
    (void)state;
    struct toy_params p = {.us = 1000};
    struct aib_engine_opts o = {.warmup_s = 0, .min_time_s = 10, .max_time_s = 10, .min_reps = 5,
                                .target_ci = 0.01};
    struct capture cap = {.stop_after = 7};
    struct aib_run run = {0};
    assert_int_equal(run_one(&toy, &p, o, &cap, &run), AIB_EINTR);
    assert_string_equal(run.status, "interrupted");
    assert_string_equal(cap.res[0].status, "interrupted");
    assert_int_equal(cap.res[0].st.n, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stops_at_target),
        cmocka_unit_test(test_stops_at_max_time),
        cmocka_unit_test(test_wrong_answer_reports_no_speed),
        cmocka_unit_test(test_interrupt_keeps_samples),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
