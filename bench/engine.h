/* The run engine: the only place that takes timestamps. For each plan entry:
 * setup, warm-up, verify, timed samples until the stopping rule holds,
 * verify again, statistics, then hand the result to every sink. Sinks are
 * called only outside timed regions. */
#ifndef AIB_ENGINE_H
#define AIB_ENGINE_H

#include <signal.h>
#include <stddef.h>

#include "../results/model.h"
#include "err.h"
#include "plan.h"

/* Consumers of what the engine measures (store, text printer, JSON, later
 * the live view). Every hook is optional. A sink returning an error from
 * run_begin aborts the run before anything is measured; errors from
 * result/run_end are reported and make the run fail. */
struct aib_sink {
    const char *name;
    void *ctx;
    int (*run_begin)(void *ctx, struct aib_run *run, const struct aib_plan *plan,
                     struct aib_err *err);
    void (*entry_begin)(void *ctx, size_t i, size_t n, const struct aib_plan_entry *e);
    /* After each sample; r is valid only during the call. */
    void (*sample)(void *ctx, const struct aib_result *r);
    int (*result)(void *ctx, struct aib_result *r, struct aib_err *err);
    int (*run_end)(void *ctx, struct aib_run *run, struct aib_err *err);
};

struct aib_profilers;

struct aib_engine {
    const struct aib_plan *plan;
    struct aib_sink *sinks;
    size_t nsinks;
    /* Set asynchronously (signal handler) to the signal number to stop: the
     * current entry is saved as interrupted and no further entry starts. */
    volatile sig_atomic_t *stop;
    /* Optional (NULL: none). Set asynchronously (the live view's `s` key)
     * to skip the current entry: it is stored with status "skipped" and the
     * samples it has, and the run goes on. Checked between samples; the
     * engine clears it before each entry and after it. */
    volatile sig_atomic_t *skip;
    /* Optional: called before every entry but the first, outside any timed
     * region; it may block (the live view holds a paused run here). The
     * stop flag is checked after it returns. */
    void (*between)(void *ctx, size_t next, size_t n);
    void *between_ctx;
    /* Optional (NULL: none): profilers opened per entry before setup,
     * started just before the first timed sample and stopped right after
     * the last; their values become the result's metrics
     * (profilers/profiler.h). */
    struct aib_profilers *prof;
};

/* Runs the plan. run->status becomes ok, failed (some entry failed) or
 * interrupted. Returns 0, AIB_ERUN (an entry failed or a sink failed) or
 * AIB_EINTR. */
int aib_engine_run(struct aib_engine *eng, struct aib_run *run, struct aib_err *err);

double aib_now_mono(void); /* seconds, CLOCK_MONOTONIC */
double aib_now_wall(void); /* unix seconds */

#endif
