/* A gang of persistent worker threads for workloads with `jobs`/`streams`:
 * run() hands each member its share and waits for all of them, without
 * creating threads per call (that would be timed). The calling thread is
 * member 0, so a gang of one has no hand-off at all. Workers block SIGINT
 * and SIGTERM, so those signals reach the main thread (whose blocking calls
 * then see EINTR) and never a worker. Used by the io and net workloads. */
#ifndef AIB_GANG_H
#define AIB_GANG_H

#include <pthread.h>
#include <stdint.h>

#include "../../bench/err.h"

/* One member's work for one run() call; returns 0 or a negative AIB_E* code
 * (its message goes wherever the member keeps it, usually its job struct). */
typedef int (*aib_gang_fn)(void *ctx, unsigned member, uint64_t iters);

struct aib_gang {
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    uint64_t generation; /* bumped by each run */
    uint64_t iters;
    unsigned pending;    /* workers still busy with this generation */
    int quit;
    unsigned n;          /* members, the caller included */
    unsigned started;    /* worker threads created (members 1..started) */
    pthread_t *tids;
    int *rcs;
    aib_gang_fn fn;
    void *ctx;
    int sync_ok;         /* mutex and conds initialised */
};

/* Starts n-1 worker threads. On failure everything is undone. */
int aib_gang_start(struct aib_gang *g, unsigned n, aib_gang_fn fn, void *ctx, struct aib_err *err);
/* Runs fn(ctx, m, iters) for every member m at once and waits for all.
 * Returns 0, or the member index + 1 of the first member that failed and
 * stores that member's code in *rc. */
unsigned aib_gang_run(struct aib_gang *g, uint64_t iters, int *rc);
/* Joins the workers; safe on a zeroed or half-started gang. */
void aib_gang_stop(struct aib_gang *g);

#endif
