#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/err.h"

int aib_result_push_sample(struct aib_result *r, double seconds)
{
    if (r->nsamples == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        double *n = realloc(r->samples, cap * sizeof *n);
        if (!n)
            return AIB_ENOMEM;
        r->samples = n;
        r->cap = cap;
    }
    r->samples[r->nsamples++] = seconds;
    return 0;
}

int aib_result_set_metric(struct aib_result *r, const char *name, double value, const char *unit,
                          int valid, const char *note)
{
    struct aib_metric *m = NULL;
    for (size_t i = 0; i < r->nmetrics; i++)
        if (strcmp(r->metrics[i].name, name) == 0)
            m = &r->metrics[i];
    if (!m) {
        if (r->nmetrics == r->mcap) {
            size_t cap = r->mcap ? r->mcap * 2 : 8;
            struct aib_metric *n = realloc(r->metrics, cap * sizeof *n);
            if (!n)
                return AIB_ENOMEM;
            r->metrics = n;
            r->mcap = cap;
        }
        m = &r->metrics[r->nmetrics++];
    }
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    snprintf(m->unit, sizeof m->unit, "%s", unit ? unit : "");
    snprintf(m->note, sizeof m->note, "%s", note ? note : "");
    m->value = valid ? value : 0.0;
    m->valid = valid != 0;
    return 0;
}

const struct aib_metric *aib_result_metric(const struct aib_result *r, const char *name)
{
    for (size_t i = 0; i < r->nmetrics; i++)
        if (strcmp(r->metrics[i].name, name) == 0)
            return &r->metrics[i];
    return NULL;
}

void aib_result_free(struct aib_result *r)
{
    if (!r)
        return;
    free(r->samples);
    r->samples = NULL;
    r->nsamples = r->cap = 0;
    free(r->metrics);
    r->metrics = NULL;
    r->nmetrics = r->mcap = 0;
}

void aib_results_free(struct aib_result *r, size_t n)
{
    if (!r)
        return;
    for (size_t i = 0; i < n; i++)
        aib_result_free(&r[i]);
    free(r);
}

void aib_run_free(struct aib_run *run)
{
    if (run)
        aib_kv_free(&run->env);
}
