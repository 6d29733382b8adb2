#include "gang.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

struct gang_arg {
    struct aib_gang *g;
    unsigned member;
};

static void *gang_worker(void *arg)
{
    struct aib_gang *g = ((struct gang_arg *)arg)->g;
    unsigned m = ((struct gang_arg *)arg)->member;
    free(arg);
    uint64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&g->mu);
        while (!g->quit && g->generation == seen)
            pthread_cond_wait(&g->go, &g->mu);
        if (g->quit) {
            pthread_mutex_unlock(&g->mu);
            return NULL;
        }
        seen = g->generation;
        uint64_t iters = g->iters;
        pthread_mutex_unlock(&g->mu);
        int rc = g->fn(g->ctx, m, iters);
        pthread_mutex_lock(&g->mu);
        g->rcs[m] = rc;
        if (--g->pending == 0)
            pthread_cond_signal(&g->done);
        pthread_mutex_unlock(&g->mu);
    }
}

int aib_gang_start(struct aib_gang *g, unsigned n, aib_gang_fn fn, void *ctx, struct aib_err *err)
{
    memset(g, 0, sizeof *g);
    g->n = n ? n : 1;
    g->fn = fn;
    g->ctx = ctx;
    g->tids = calloc(g->n, sizeof *g->tids);
    g->rcs = calloc(g->n, sizeof *g->rcs);
    if (!g->tids || !g->rcs) {
        aib_gang_stop(g);
        return aib_err_set(err, AIB_ENOMEM, "out of memory for %u worker threads", g->n);
    }
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->go, NULL);
    pthread_cond_init(&g->done, NULL);
    g->sync_ok = 1;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old); /* inherited by the workers */
    int rc = 0;
    for (unsigned m = 1; m < g->n; m++) {
        struct gang_arg *a = malloc(sizeof *a);
        if (!a) {
            rc = aib_err_set(err, AIB_ENOMEM, "out of memory for worker threads");
            break;
        }
        *a = (struct gang_arg){g, m};
        if (pthread_create(&g->tids[m], NULL, gang_worker, a) != 0) {
            free(a);
            rc = aib_err_set(err, AIB_ERUN, "cannot start worker thread %u of %u", m, g->n);
            break;
        }
        g->started = m;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc)
        aib_gang_stop(g);
    return rc;
}

unsigned aib_gang_run(struct aib_gang *g, uint64_t iters, int *rc)
{
    if (g->n > 1) {
        pthread_mutex_lock(&g->mu);
        g->iters = iters;
        g->pending = g->n - 1;
        g->generation++;
        pthread_cond_broadcast(&g->go);
        pthread_mutex_unlock(&g->mu);
    }
    g->rcs[0] = g->fn(g->ctx, 0, iters);
    if (g->n > 1) {
        pthread_mutex_lock(&g->mu);
        while (g->pending)
            pthread_cond_wait(&g->done, &g->mu);
        pthread_mutex_unlock(&g->mu);
    }
    for (unsigned m = 0; m < g->n; m++)
        if (g->rcs[m]) {
            *rc = g->rcs[m];
            return m + 1;
        }
    *rc = 0;
    return 0;
}

void aib_gang_stop(struct aib_gang *g)
{
    if (g->sync_ok) {
        pthread_mutex_lock(&g->mu);
        g->quit = 1;
        pthread_cond_broadcast(&g->go);
        pthread_mutex_unlock(&g->mu);
        for (unsigned m = 1; m <= g->started; m++)
            pthread_join(g->tids[m], NULL);
        pthread_cond_destroy(&g->go);
        pthread_cond_destroy(&g->done);
        pthread_mutex_destroy(&g->mu);
    }
    free(g->tids);
    free(g->rcs);
    memset(g, 0, sizeof *g);
}
