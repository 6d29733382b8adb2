/* The procfs sampler: a reader on its own thread, one read per interval,
 * the latest sample kept under a short lock. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "procfs.h"

struct aib_procfs_sampler {
    struct aib_procfs_opts o;
    struct aib_procfs_reader *rd;
    pthread_t thread;
    pthread_mutex_t lock; /* guards latest and quit */
    pthread_cond_t wake;  /* signalled by stop */
    int quit;
    struct aib_procfs_sample latest;
    struct aib_procfs_sample scratch; /* owned by the thread */
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *sampler_main(void *arg)
{
    struct aib_procfs_sampler *s = arg;
    uint64_t seq = 0;
    /* Named, so per-thread CPU time (top -H, /proc/PID/task) shows who costs what. */
    pthread_setname_np(pthread_self(), s->o.thread_name ? s->o.thread_name : "aib-procfs");
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        struct aib_procfs_sample *x = &s->scratch;
        aib_procfs_read(s->rd, mono_now(), x);
        x->seq = ++seq;
        pthread_mutex_lock(&s->lock);
        s->latest = *x;
        pthread_mutex_unlock(&s->lock);
        if (s->o.on_sample)
            s->o.on_sample(s->o.ctx, x);

        /* Next tick on a fixed grid, so the rate does not drift. */
        double step = s->o.interval_s;
        time_t whole = (time_t)step;
        long ns = (long)((step - (double)whole) * 1e9);
        next.tv_sec += whole;
        next.tv_nsec += ns;
        if (next.tv_nsec >= 1000000000L) {
            next.tv_sec++;
            next.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&s->lock);
        int rc = 0;
        while (!s->quit && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&s->wake, &s->lock, &next);
        int quit = s->quit;
        pthread_mutex_unlock(&s->lock);
        if (quit)
            break;
        /* After a long stall (suspend), restart the grid from now. */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > next.tv_sec + 2)
            next = now;
    }
    return NULL;
}

int aib_procfs_start(const struct aib_procfs_opts *o, struct aib_procfs_sampler **out,
                     struct aib_err *err)
{
    if (!(o->interval_s > 0) || !isfinite(o->interval_s) || o->interval_s > 3600)
        return aib_err_set(err, AIB_EUSAGE, "bad sampling interval %g s: expected (0, 3600]",
                           o->interval_s);
    struct aib_procfs_sampler *s = calloc(1, sizeof *s);
    pthread_condattr_t ca;
    int rc, have_lock = 0, have_cond = 0;
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory for the procfs sampler");
    s->o = *o;
    if ((rc = aib_procfs_reader_new(o->root, &s->rd, err)))
        goto fail;
    rc = AIB_ERUN;
    if (pthread_mutex_init(&s->lock, NULL)) {
        aib_err_set(err, rc, "cannot create a mutex");
        goto fail;
    }
    have_lock = 1;
    /* The wait uses CLOCK_MONOTONIC deadlines. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    have_cond = pthread_cond_init(&s->wake, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!have_cond) {
        aib_err_set(err, rc, "cannot create a condition variable");
        goto fail;
    }
    if (pthread_create(&s->thread, NULL, sampler_main, s)) {
        aib_err_set(err, rc, "cannot start the procfs sampler thread");
        goto fail;
    }
    *out = s;
    return 0;
fail:
    if (have_cond)
        pthread_cond_destroy(&s->wake);
    if (have_lock)
        pthread_mutex_destroy(&s->lock);
    aib_procfs_reader_free(s->rd);
    free(s);
    return rc;
}

uint64_t aib_procfs_latest(struct aib_procfs_sampler *s, struct aib_procfs_sample *out)
{
    pthread_mutex_lock(&s->lock);
    uint64_t seq = s->latest.seq;
    if (seq)
        *out = s->latest;
    pthread_mutex_unlock(&s->lock);
    return seq;
}

void aib_procfs_stop(struct aib_procfs_sampler *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->quit = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    aib_procfs_reader_free(s->rd);
    free(s);
}
