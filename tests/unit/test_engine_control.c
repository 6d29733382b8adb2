/* The engine's controls for the live view: the skip flag (the entry is kept
 * as "skipped" with the samples it has, and the run goes on), the hook
 * between entries (where a paused run waits), and stop raised there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../bench/engine.h"

/* Spins `us` microseconds per iteration; its answer is always right. */
struct spin_params {
    int64_t us;
};
static int spin_setup(const struct aib_device *d, const void *p, void **s, struct aib_err *e)
{
    (void)d;
    (void)e;
    *s = (void *)p;
    return 0;
}
static int spin_run(void *s, uint64_t iters, struct aib_err *e)
{
    (void)e;
    const struct spin_params *p = s;
    double end = aib_now_mono() + (double)p->us * 1e-6 * (double)iters;
    while (aib_now_mono() < end)
        ;
    return 0;
}
static int spin_verify(void *s, struct aib_err *e)
{
    (void)s;
    (void)e;
    return 0;
}
static void spin_work(const void *p, struct aib_work *w)
{
    (void)p;
    *w = (struct aib_work){.ops = 1};
}
static void spin_teardown(void *s) { (void)s; }
static const struct aib_workload_ops spin = {
    .name = "spin", .abi = AIB_WORKLOAD_ABI, .devices = AIB_DEV_CPU, .summary = "spin",
    .setup = spin_setup, .run = spin_run, .verify = spin_verify, .work = spin_work,
    .teardown = spin_teardown};

struct ctl {
    volatile sig_atomic_t stop, skip;
    size_t skip_entry, skip_after; /* raise skip in this entry after this many samples */
    size_t entry;                  /* the entry now running */
    size_t stop_before;            /* raise stop in the hook before this entry (0 = never) */
    size_t skip_before;            /* raise skip in the hook before this entry (0 = never) */
    size_t between_calls, between_next[8], between_n;
    char status[8][16];
    size_t nsamples[8], nres;
};

static void ctl_entry(void *ctx, size_t i, size_t n, const struct aib_plan_entry *e)
{
    (void)n;
    (void)e;
    ((struct ctl *)ctx)->entry = i;
}
static void ctl_sample(void *ctx, const struct aib_result *r)
{
    struct ctl *c = ctx;
    if (c->entry == c->skip_entry && r->nsamples == c->skip_after)
        c->skip = 1;
}
static int ctl_result(void *ctx, struct aib_result *r, struct aib_err *e)
{
    (void)e;
    struct ctl *c = ctx;
    snprintf(c->status[c->nres], sizeof c->status[0], "%s", r->status);
    c->nsamples[c->nres++] = r->st.n;
    return 0;
}
static void ctl_between(void *ctx, size_t next, size_t n)
{
    struct ctl *c = ctx;
    c->between_next[c->between_calls++] = next;
    c->between_n = n;
    if (c->stop_before && next == c->stop_before)
        c->stop = 15;
    if (c->skip_before && next == c->skip_before)
        c->skip = 1;
}

static int run3(struct ctl *c, struct aib_run *run)
{
    struct aib_device dev = {.kind = AIB_DEV_CPU};
    strcpy(dev.id, "cpu");
    struct spin_params p = {.us = 300};
    struct aib_plan_entry e[3];
    for (int i = 0; i < 3; i++)
        e[i] = (struct aib_plan_entry){.w = &spin, .dev = &dev, .params = &p};
    /* Long enough that only skip or stop ends an entry early. */
    struct aib_plan plan = {.items = e, .len = 3,
                            .opts = {.warmup_s = 0, .min_time_s = 0.02, .max_time_s = 0.05,
                                     .min_reps = 1000000, .target_ci = 1e-9}};
    struct aib_sink s = {.name = "ctl", .ctx = c, .entry_begin = ctl_entry,
                         .sample = ctl_sample, .result = ctl_result};
    struct aib_engine eng = {.plan = &plan, .sinks = &s, .nsinks = 1, .stop = &c->stop,
                             .skip = &c->skip, .between = ctl_between, .between_ctx = c};
    struct aib_err err = {0};
    return aib_engine_run(&eng, run, &err);
}

static void test_skip_keeps_samples_and_goes_on(void **state)
{
    (void)state;
    struct ctl c = {.skip_entry = 0, .skip_after = 5};
    struct aib_run run = {0};
    assert_int_equal(run3(&c, &run), 0);
    assert_string_equal(run.status, "ok");
    assert_int_equal(c.nres, 3);
    assert_string_equal(c.status[0], "skipped");
    assert_int_equal(c.nsamples[0], 5); /* checked before every sample */
    assert_string_equal(c.status[1], "ok");
    assert_string_equal(c.status[2], "ok");
    assert_true(c.nsamples[1] > 5);
    assert_int_equal(c.skip, 0); /* cleared after the entry */
    /* The hook ran before the second and the third entry. */
    assert_int_equal(c.between_calls, 2);
    assert_int_equal(c.between_next[0], 1);
    assert_int_equal(c.between_next[1], 2);
    assert_int_equal(c.between_n, 3);
}

static void test_skip_between_entries_is_dropped(void **state)
{
    (void)state;
    struct ctl c = {.skip_entry = 99, .skip_before = 2};
    struct aib_run run = {0};
    assert_int_equal(run3(&c, &run), 0);
    assert_int_equal(c.nres, 3);
    assert_string_equal(c.status[2], "ok");
}

static void test_stop_in_between_hook(void **state)
{
    (void)state;
    struct ctl c = {.skip_entry = 99, .stop_before = 2};
    struct aib_run run = {0};
    assert_int_equal(run3(&c, &run), AIB_EINTR);
    assert_string_equal(run.status, "interrupted");
    assert_int_equal(c.nres, 2); /* the third never started */
    assert_string_equal(c.status[1], "ok");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skip_keeps_samples_and_goes_on),
        cmocka_unit_test(test_skip_between_entries_is_dropped),
        cmocka_unit_test(test_stop_in_between_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
