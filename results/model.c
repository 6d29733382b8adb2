#include "model.h"

#include <stdlib.h>

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

void aib_result_free(struct aib_result *r)
{
    if (!r)
        return;
    free(r->samples);
    r->samples = NULL;
    r->nsamples = r->cap = 0;
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
