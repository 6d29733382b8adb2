/* Helpers any workload may use (workload.h). */
#include "workload.h"

void aib_metric_put(struct aib_metric_list *m, const char *name, double value, const char *unit, int valid,
                    const char *note)
{
    if (!m->rc && aib_result_set_metric(m->r, name, value, unit, valid, note))
        m->rc = AIB_ENOMEM;
}

int aib_metric_list_end(const struct aib_metric_list *m, struct aib_err *err)
{
    return m->rc ? aib_err_set(err, m->rc, "out of memory") : 0;
}

double aib_samples_mean(const struct aib_result *r)
{
    double sum = 0;
    for (size_t i = 0; i < r->nsamples; i++)
        sum += r->samples[i];
    return r->nsamples && sum > 0 ? sum / (double)r->nsamples : 0;
}
