/* A fixed-size history of values for graphs: the newest AIB_HISTORY_CAP
 * values, NaN for a missing one (drawn as a gap, never as 0). Pure data:
 * one owner, no locking. */
#ifndef AIB_TUI_HISTORY_H
#define AIB_TUI_HISTORY_H

#include <stddef.h>

#define AIB_HISTORY_CAP 512

struct aib_history {
    double v[AIB_HISTORY_CAP];
    size_t n;    /* values held, <= AIB_HISTORY_CAP */
    size_t next; /* where the next value goes */
};

void aib_history_clear(struct aib_history *h);
void aib_history_push(struct aib_history *h, double x);
/* Copies the newest min(k, n) values into out, oldest first; returns how many. */
size_t aib_history_last(const struct aib_history *h, size_t k, double *out);
/* Largest non-NaN value among the newest k; NaN when there is none. */
double aib_history_max(const struct aib_history *h, size_t k);

#endif
