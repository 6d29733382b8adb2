/* Fixed-size value history (see hist.h). */
#include "history.h"

#include <math.h>

void aib_history_clear(struct aib_history *h)
{
    h->n = 0;
    h->next = 0;
}

void aib_history_push(struct aib_history *h, double x)
{
    h->v[h->next] = x;
    h->next = (h->next + 1) % AIB_HISTORY_CAP;
    if (h->n < AIB_HISTORY_CAP)
        h->n++;
}

size_t aib_history_last(const struct aib_history *h, size_t k, double *out)
{
    size_t m = k < h->n ? k : h->n;
    size_t start = (h->next + AIB_HISTORY_CAP - m) % AIB_HISTORY_CAP;
    for (size_t i = 0; i < m; i++)
        out[i] = h->v[(start + i) % AIB_HISTORY_CAP];
    return m;
}

double aib_history_max(const struct aib_history *h, size_t k)
{
    size_t m = k < h->n ? k : h->n;
    double best = NAN;
    for (size_t i = 0; i < m; i++) {
        double x = h->v[(h->next + AIB_HISTORY_CAP - 1 - i) % AIB_HISTORY_CAP];
        if (!isnan(x) && (isnan(best) || x > best))
            best = x;
    }
    return best;
}
