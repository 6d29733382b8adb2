#include <math.h>
#include <string.h>

#include "fmt.h"
#include "sinks.h"
#include "stats.h"

static int text_run_begin(void *ctx, struct aib_run *run, const struct aib_plan *plan,
                          struct aib_err *err)
{
    struct aib_text_sink *t = ctx;
    (void)err;
    t->target_ci = plan->opts.target_ci;
    for (size_t i = 0; i < plan->nnotes; i++)
        fprintf(t->progress ? t->progress : t->out, "note: %s\n", plan->notes[i]);
    fprintf(t->out, "run %s%s%s: %zu entr%s\n", run->uuid[0] ? run->uuid : "", plan->suite[0] ? ", suite " : "",
            plan->suite, plan->len, plan->len == 1 ? "y" : "ies");
    fprintf(t->out, "%-3s %-8s %-8s %-34s %6s %10s %7s %6s %16s\n", "#", "workload", "device",
            "params", "n", "median", "95%CI", "CV", "throughput");
    fflush(t->out);
    return 0;
}

static void text_entry_begin(void *ctx, size_t i, size_t n, const struct aib_plan_entry *e)
{
    struct aib_text_sink *t = ctx;
    if (!t->progress)
        return;
    fprintf(t->progress, "[%zu/%zu] %s on %s %s\n", i + 1, n, e->w->name, e->dev->id,
            e->params_str);
    fflush(t->progress);
}

static int text_result(void *ctx, struct aib_result *r, struct aib_err *err)
{
    struct aib_text_sink *t = ctx;
    (void)err;
    t->nrows++;
    if (strcmp(r->status, AIB_STATUS_FAILED) == 0) {
        t->nfailed++;
        fprintf(t->out, "%-3zu %-8s %-8s %-34s FAILED: %s\n", t->nrows, r->workload, r->device,
                r->params, r->error);
        fflush(t->out);
        return 0;
    }
    char med[32], ci[16], cv[16], tp[32];
    aib_fmt_seconds(r->st.median, med, sizeof med);
    double rel = aib_stats_ci_rel(&r->st);
    if (isfinite(rel))
        snprintf(ci, sizeof ci, "±%.1f%%", rel * 100);
    else
        snprintf(ci, sizeof ci, "-");
    snprintf(cv, sizeof cv, "%.1f%%", r->st.cv * 100);
    snprintf(tp, sizeof tp, "%.2f %s", r->throughput, r->unit);
    const char *flag = strcmp(r->status, AIB_STATUS_INTERRUPTED) == 0 ? "  (interrupted)"
                       : strcmp(r->status, AIB_STATUS_SKIPPED) == 0   ? "  (skipped)"
                       : rel > t->target_ci                           ? "  (CI target not reached)"
                                                                      : "";
    fprintf(t->out, "%-3zu %-8s %-8s %-34s %6zu %10s %7s %6s %16s%s\n", t->nrows, r->workload,
            r->device, r->params, r->st.n, med, ci, cv, tp, flag);
    fflush(t->out);
    return 0;
}

static int text_run_end(void *ctx, struct aib_run *run, struct aib_err *err)
{
    struct aib_text_sink *t = ctx;
    (void)err;
    fprintf(t->out, "run %s: %s, %zu result%s, %zu failed, %.1f s\n", run->uuid, run->status,
            t->nrows, t->nrows == 1 ? "" : "s", t->nfailed, run->ended - run->started);
    return 0;
}

void aib_text_sink_init(struct aib_text_sink *t, struct aib_sink *s, FILE *out, FILE *progress)
{
    memset(t, 0, sizeof *t);
    t->out = out;
    t->progress = progress;
    *s = (struct aib_sink){.name = "text", .ctx = t, .run_begin = text_run_begin,
                           .entry_begin = text_entry_begin, .result = text_result,
                           .run_end = text_run_end};
}

static int store_run_begin(void *ctx, struct aib_run *run, const struct aib_plan *plan,
                           struct aib_err *err)
{
    struct aib_store_sink *k = ctx;
    (void)plan;
    int rc = aib_store_run_begin(k->store, run, err);
    k->run_id = run->id;
    return rc;
}

static int store_result(void *ctx, struct aib_result *r, struct aib_err *err)
{
    struct aib_store_sink *k = ctx;
    return aib_store_result_add(k->store, k->run_id, r, err);
}

static int store_run_end(void *ctx, struct aib_run *run, struct aib_err *err)
{
    struct aib_store_sink *k = ctx;
    return aib_store_run_end(k->store, run, err);
}

void aib_store_sink_init(struct aib_store_sink *k, struct aib_sink *s, struct aib_store *store)
{
    k->store = store;
    k->run_id = 0;
    *s = (struct aib_sink){.name = "store", .ctx = k, .run_begin = store_run_begin,
                           .result = store_result, .run_end = store_run_end};
}
