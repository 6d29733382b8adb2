/* `aibench run --dry-run`: the expanded plan, printed instead of run. */
#include <stdio.h>
#include <string.h>

#include "suite.h"

void aib_suite_print_plan(FILE *out, const struct aib_plan *plan)
{
    const struct aib_engine_opts *o = &plan->opts;
    size_t ww = strlen("WORKLOAD"), dw = strlen("DEVICE"), pw = strlen("PARAMS");
    for (size_t i = 0; i < plan->len; i++) {
        const struct aib_plan_entry *e = &plan->items[i];
        size_t w = strlen(e->w->name), d = strlen(e->dev->id), p = strlen(e->params_str);
        ww = w > ww ? w : ww;
        dw = d > dw ? d : dw;
        pw = p > pw ? p : pw;
    }
    for (size_t i = 0; i < plan->nnotes; i++)
        fprintf(out, "note: %s\n", plan->notes[i]);
    fprintf(out, "dry run%s%s: %zu entr%s; nothing is run or written\n",
            plan->suite[0] ? " of suite " : "", plan->suite, plan->len,
            plan->len == 1 ? "y" : "ies");
    fprintf(out,
            "each entry: %g s warm-up, then samples for %g to %g s (at least %d) until the "
            "median's 95%% CI is within +-%g%%\n",
            o->warmup_s, o->min_time_s, o->max_time_s, o->min_reps, o->target_ci * 100);
    fprintf(out, "%-3s %-*s %-*s %-*s %s\n", "#", (int)ww, "WORKLOAD", (int)dw, "DEVICE", (int)pw,
            "PARAMS", "FROM");
    for (size_t i = 0; i < plan->len; i++) {
        const struct aib_plan_entry *e = &plan->items[i];
        fprintf(out, "%-3zu %-*s %-*s %-*s %s\n", i + 1, (int)ww, e->w->name, (int)dw, e->dev->id,
                (int)pw, e->params_str, e->where);
    }
    /* Set-up and verification come on top, and a fast entry stops sooner. */
    fprintf(out, "at most about %.0f s of warm-up and sampling (%zu x (%g + %g s))\n",
            (double)plan->len * (o->warmup_s + o->max_time_s), plan->len, o->warmup_s,
            o->max_time_s);
}
