#include "engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../profilers/profiler.h"
#include "probe.h"
#include "stats.h"

/* A sample covers at least this long, so clock overhead stays < 0.01%. */
#define MIN_SAMPLE_S 1e-3
/* Recomputing the statistics sorts the samples: do it at most this often. */
#define CHECK_EVERY_S 0.05
/* measure() result when the skip flag was raised (not an error). */
#define SKIPPED 1

static int skip_requested(const struct aib_engine *eng) { return eng->skip && *eng->skip; }

double aib_now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double aib_now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void set_unit(struct aib_result *r)
{
    double t = r->st.median;
    if (t <= 0) {
        r->throughput = 0;
        snprintf(r->unit, sizeof r->unit, "%s", r->flops > 0 ? "GFLOP/s" : r->bytes > 0 ? "GB/s" : "op/s");
        return;
    }
    if (r->flops > 0) {
        r->throughput = r->flops / t / 1e9;
        snprintf(r->unit, sizeof r->unit, "GFLOP/s");
    } else if (r->bytes > 0) {
        r->throughput = r->bytes / t / 1e9;
        snprintf(r->unit, sizeof r->unit, "GB/s");
    } else {
        r->throughput = (r->ops > 0 ? r->ops : 1.0) / t;
        snprintf(r->unit, sizeof r->unit, "op/s");
    }
}

static void fail_result(struct aib_result *r, const char *status, const struct aib_err *e)
{
    snprintf(r->status, sizeof r->status, "%s", status);
    if (e && e->msg[0])
        snprintf(r->error, sizeof r->error, "%s", e->msg);
}

static void notify_samples(struct aib_engine *eng, const struct aib_result *r)
{
    for (size_t s = 0; s < eng->nsinks; s++)
        if (eng->sinks[s].sample)
            eng->sinks[s].sample(eng->sinks[s].ctx, r);
}

/* Warm-up, then timed samples until the stopping rule holds. Returns 0,
 * AIB_EINTR or a workload error (message in err). */
static int measure(struct aib_engine *eng, const struct aib_plan_entry *e, void *state,
                   struct aib_result *r, struct aib_err *err)
{
    const struct aib_engine_opts *o = &eng->plan->opts;
    const struct aib_workload_ops *w = e->w;
    int rc;

    /* Warm-up: at least one iteration, whose answer is verified before any
     * speed is taken. */
    double t_iter = INFINITY, start = aib_now_mono();
    do {
        double t0 = aib_now_mono();
        if ((rc = w->run(state, 1, err)))
            return rc;
        double dt = aib_now_mono() - t0;
        if (dt < t_iter)
            t_iter = dt;
        if (*eng->stop)
            return AIB_EINTR;
        if (skip_requested(eng))
            return SKIPPED;
    } while (aib_now_mono() - start < o->warmup_s);
    if ((rc = w->verify(state, err)))
        return rc;

    uint64_t ips = 1;
    if (t_iter < MIN_SAMPLE_S)
        ips = (uint64_t)ceil(MIN_SAMPLE_S / (t_iter > 1e-9 ? t_iter : 1e-9));
    r->iters_per_sample = ips;

    /* Profilers run over the timed samples only, never inside one. */
    aib_profilers_start(eng->prof);
    double t_start = aib_now_mono(), last_check = 0;
    for (;;) {
        if (*eng->stop)
            return AIB_EINTR;
        if (skip_requested(eng))
            return SKIPPED;
        double t0 = aib_now_mono();
        rc = w->run(state, ips, err);
        double t1 = aib_now_mono();
        if (rc)
            return rc;
        if (aib_result_push_sample(r, (t1 - t0) / (double)ips))
            return aib_err_set(err, AIB_ENOMEM, "out of memory storing samples");
        notify_samples(eng, r);
        double elapsed = t1 - t_start;
        if (elapsed >= o->max_time_s)
            break;
        if ((int)r->nsamples < o->min_reps || elapsed < o->min_time_s)
            continue;
        if (r->nsamples < 100 || t1 - last_check >= CHECK_EVERY_S) {
            last_check = t1;
            struct aib_stats st;
            if (aib_stats_compute(r->samples, r->nsamples, &st))
                return aib_err_set(err, AIB_ENOMEM, "out of memory computing statistics");
            if (aib_stats_ci_rel(&st) <= o->target_ci)
                break;
        }
    }
    aib_profilers_stop(eng->prof);
    /* The last timed iteration must be right too. */
    return w->verify(state, err);
}

static int run_entry(struct aib_engine *eng, const struct aib_plan_entry *e, struct aib_result *r,
                     struct aib_err *err)
{
    const struct aib_workload_ops *w = e->w;
    snprintf(r->workload, sizeof r->workload, "%s", w->name);
    snprintf(r->device, sizeof r->device, "%s", e->dev->id);
    snprintf(r->params, sizeof r->params, "%s", e->params_str);
    snprintf(r->status, sizeof r->status, "%s", AIB_STATUS_RUNNING);
    struct aib_work work = {0};
    w->work(e->params, &work);
    r->flops = work.flops;
    r->bytes = work.bytes;
    r->ops = work.ops;
    /* The machine's speed just before this result (the CI gate tells a
     * slower machine from slower code by it); not part of its time. */
    if (aib_probe_result(r))
        return aib_err_set(err, AIB_ENOMEM, "out of memory running the machine-speed probe");
    r->started = aib_now_wall();

    void *state = NULL;
    struct aib_err werr = {0};
    /* Before setup, so the counters follow the threads the workload creates. */
    if (aib_profilers_open(eng->prof, e->dev, err))
        return AIB_ENOMEM;
    int rc = w->setup(e->dev, e->params, &state, &werr);
    if (rc == 0) {
        rc = measure(eng, e, state, r, &werr);
        if ((rc == 0 || rc == AIB_EINTR || rc == SKIPPED) && w->metrics) {
            int mrc = w->metrics(state, r, &werr);
            if (mrc && rc == 0)
                rc = mrc;
        }
        w->teardown(state);
    }
    r->ended = aib_now_wall();
    if (aib_stats_compute(r->samples, r->nsamples, &r->st))
        return aib_err_set(err, AIB_ENOMEM, "out of memory computing statistics");
    if (rc == AIB_EINTR) {
        fail_result(r, AIB_STATUS_INTERRUPTED, NULL);
    } else if (rc == SKIPPED) {
        /* Kept with what it measured; the run goes on. */
        fail_result(r, AIB_STATUS_SKIPPED, NULL);
        rc = 0;
    } else if (rc) {
        fail_result(r, AIB_STATUS_FAILED, &werr);
        /* A speed from a wrong answer is never reported. */
        r->st.n = 0;
        r->nsamples = 0;
    } else {
        snprintf(r->status, sizeof r->status, "%s", AIB_STATUS_OK);
    }
    set_unit(r);
    /* Profiler values become metrics; a failed entry's are only closed. */
    if (aib_profilers_finish(eng->prof, e->dev, r, strcmp(r->status, AIB_STATUS_FAILED) != 0, err))
        return AIB_ENOMEM;
    return rc;
}

int aib_engine_run(struct aib_engine *eng, struct aib_run *run, struct aib_err *err)
{
    const struct aib_plan *plan = eng->plan;
    int rc = 0, failed = 0, interrupted = 0;
    size_t begun = 0;
    snprintf(run->status, sizeof run->status, "%s", AIB_STATUS_RUNNING);
    run->started = aib_now_wall();
    for (; begun < eng->nsinks; begun++) {
        struct aib_sink *s = &eng->sinks[begun];
        if (s->run_begin && (rc = s->run_begin(s->ctx, run, plan, err)))
            goto end_sinks;
    }
    for (size_t i = 0; i < plan->len && !interrupted; i++) {
        const struct aib_plan_entry *e = &plan->items[i];
        if (i > 0 && eng->between)
            eng->between(eng->between_ctx, i, plan->len);
        if (*eng->stop) {
            interrupted = 1;
            break;
        }
        if (eng->skip)
            *eng->skip = 0; /* a skip asked for between entries means nothing */
        for (size_t s = 0; s < eng->nsinks; s++)
            if (eng->sinks[s].entry_begin)
                eng->sinks[s].entry_begin(eng->sinks[s].ctx, i, plan->len, e);
        struct aib_result r = {0};
        int erc = run_entry(eng, e, &r, err);
        if (erc == AIB_ENOMEM) {
            aib_result_free(&r);
            rc = erc;
            failed = 1;
            break;
        }
        if (erc == AIB_EINTR)
            interrupted = 1;
        else if (erc)
            failed = 1;
        for (size_t s = 0; s < eng->nsinks; s++) {
            struct aib_sink *k = &eng->sinks[s];
            struct aib_err serr = {0};
            if (k->result && k->result(k->ctx, &r, &serr)) {
                aib_err_set(err, AIB_ERUN, "%s: %s", k->name, serr.msg);
                rc = AIB_ERUN;
            }
        }
        aib_result_free(&r);
        if (eng->skip)
            *eng->skip = 0;
        if (rc)
            break;
    }
    if (*eng->stop)
        interrupted = 1;
end_sinks:
    run->ended = aib_now_wall();
    snprintf(run->status, sizeof run->status, "%s",
             interrupted ? AIB_STATUS_INTERRUPTED
             : (failed || rc) ? AIB_STATUS_FAILED
                              : AIB_STATUS_OK);
    for (size_t s = 0; s < begun; s++) {
        struct aib_sink *k = &eng->sinks[s];
        struct aib_err serr = {0};
        if (k->run_end && k->run_end(k->ctx, run, &serr) && !rc) {
            aib_err_set(err, AIB_ERUN, "%s: %s", k->name, serr.msg);
            rc = AIB_ERUN;
        }
    }
    if (rc)
        return rc;
    if (interrupted)
        return AIB_EINTR;
    return failed ? AIB_ERUN : 0;
}
