/* The system profiler: the procfs sampler (profilers/procfs.h, shared with
 * the live view) started when the profiler opens, its samples recorded as
 * series only between start and stop: per-CPU and total utilization and
 * frequency, memory used, load, disk and network byte rates. Its thread
 * exists before the perf counters are opened, so its work is not counted
 * as the workload's. */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench/engine.h"
#include "procfs.h"
#include "profiler.h"

struct sys_state {
    struct aib_procfs_sampler *sampler;
    pthread_mutex_t mu; /* guards everything below: the callback runs on the sampler thread */
    pthread_cond_t cv;
    bool named;         /* the sampler thread has named itself (see on_sample) */
    bool recording;
    double mono0, wall0;
    size_t nsamples;
    unsigned seen;       /* OR of the validity bits recorded */
    bool freq_seen;
    double disk_r, disk_w, net_rx, net_tx; /* bytes, integrated over the samples */
    struct aib_series_set series;
    bool oom;
};

static void push(struct sys_state *st, const char *name, const char *unit, double t, double v)
{
    struct aib_series *s = aib_series_get(&st->series, "system", name, unit, st->wall0);
    if (!s || aib_series_push(s, t, v))
        st->oom = true;
}

static void record(struct sys_state *st, const struct aib_procfs_sample *x)
{
    double t = x->t - st->mono0;
    char name[48];
    if (x->total.valid & AIB_PF_UTIL)
        push(st, "cpu.util", "%", t, 100 * x->total.util);
    if (x->total.valid & AIB_PF_FREQ) {
        push(st, "cpu.freq", "MHz", t, x->total.freq_mhz);
        st->freq_seen = true;
    }
    for (unsigned i = 0; i < x->ncpus && i < AIB_PROCFS_MAX_CPUS; i++) {
        const struct aib_procfs_cpu *c = &x->cpu[i];
        if (c->valid & AIB_PF_UTIL) {
            snprintf(name, sizeof name, "cpu%d.util", c->id);
            push(st, name, "%", t, 100 * c->util);
        }
        if (c->valid & AIB_PF_FREQ) {
            snprintf(name, sizeof name, "cpu%d.freq", c->id);
            push(st, name, "MHz", t, c->freq_mhz);
        }
    }
    if (x->valid & AIB_PF_MEM)
        push(st, "mem.used", "B", t, (double)(x->mem_total - x->mem_available));
    if (x->valid & AIB_PF_LOAD)
        push(st, "load1", "", t, x->load1);
    if (x->valid & AIB_PF_DISK) {
        push(st, "disk.read", "B/s", t, x->disk_read_bps);
        push(st, "disk.write", "B/s", t, x->disk_write_bps);
        st->disk_r += x->disk_read_bps * x->interval;
        st->disk_w += x->disk_write_bps * x->interval;
    }
    if (x->valid & AIB_PF_NET) {
        push(st, "net.rx", "B/s", t, x->net_rx_bps);
        push(st, "net.tx", "B/s", t, x->net_tx_bps);
        st->net_rx += x->net_rx_bps * x->interval;
        st->net_tx += x->net_tx_bps * x->interval;
    }
    st->seen |= x->valid | (x->total.valid & AIB_PF_UTIL);
    st->nsamples++;
}

static void on_sample(void *ctx, const struct aib_procfs_sample *x)
{
    struct sys_state *st = ctx;
    pthread_mutex_lock(&st->mu);
    if (!st->named) {
        /* "aib-..." threads are aibench's own: the perf counters leave them out. */
        pthread_setname_np(pthread_self(), "aib-sampler");
        st->named = true;
        pthread_cond_broadcast(&st->cv);
    }
    if (st->recording)
        record(st, x);
    pthread_mutex_unlock(&st->mu);
}

static int sys_open(const struct aib_device *dev, const struct aib_prof_opts *o, void **state,
                    struct aib_err *err)
{
    (void)dev;
    struct sys_state *st = calloc(1, sizeof *st);
    if (!st)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    struct aib_procfs_opts po = {
        .interval_s = o && o->interval_s > 0 ? o->interval_s : AIB_PROF_INTERVAL_DEFAULT_S,
        .root = o && o->root && o->root[0] ? o->root : NULL,
        .on_sample = on_sample,
        .ctx = st,
    };
    int rc = aib_procfs_start(&po, &st->sampler, err);
    if (rc) {
        pthread_cond_destroy(&st->cv);
        pthread_mutex_destroy(&st->mu);
        free(st);
        return rc;
    }
    /* The first sample is taken at once; wait for its name, so the perf
     * counters, opened next, know the thread is not the workload's. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    pthread_mutex_lock(&st->mu);
    while (!st->named && pthread_cond_timedwait(&st->cv, &st->mu, &until) == 0)
        ;
    pthread_mutex_unlock(&st->mu);
    *state = st;
    return 0;
}

static int sys_start(void *state, struct aib_err *err)
{
    (void)err;
    struct sys_state *st = state;
    pthread_mutex_lock(&st->mu);
    st->mono0 = aib_now_mono();
    st->wall0 = aib_now_wall();
    st->recording = true;
    pthread_mutex_unlock(&st->mu);
    return 0;
}

static int sys_stop(void *state, struct aib_err *err)
{
    (void)err;
    struct sys_state *st = state;
    pthread_mutex_lock(&st->mu);
    st->recording = false;
    pthread_mutex_unlock(&st->mu);
    return 0;
}

static const struct aib_series *find(const struct sys_state *st, const char *name)
{
    for (size_t i = 0; i < st->series.len; i++)
        if (strcmp(st->series.items[i].name, name) == 0)
            return &st->series.items[i];
    return NULL;
}

#define NO_SAMPLE "no sample in the profiled time (shorter than the sampling interval)"

static int sys_read(void *state, struct aib_prof_values *out, struct aib_err *err)
{
    struct sys_state *st = state;
    pthread_mutex_lock(&st->mu);
    const struct aib_series *util = find(st, "cpu.util"), *freq = find(st, "cpu.freq");
    const struct aib_series *mem = find(st, "mem.used");
    bool any = st->nsamples > 0;
    bool disk = st->seen & AIB_PF_DISK, net = st->seen & AIB_PF_NET;
    const char *why_util = any ? "no CPU utilization (/proc/stat unreadable)" : NO_SAMPLE;
    const char *why_freq = any ? "no CPU frequency here (no cpufreq, no MHz in /proc/cpuinfo)"
                               : NO_SAMPLE;
    const char *why_mem = any ? "no memory figures (/proc/meminfo)" : NO_SAMPLE;
    const char *why_disk = any ? "no disk statistics (/proc/diskstats)" : NO_SAMPLE;
    const char *why_net = any ? "no network statistics (/proc/net/dev)" : NO_SAMPLE;
    int rc = aib_prof_values_set(out, "samples", AIB_PV_LEVEL, (double)st->nsamples, "", 1,
                                 NULL);
    rc = rc ? rc
            : aib_prof_values_set(out, "cpu_util_mean", AIB_PV_LEVEL, util ? util->mean : 0, "%",
                                  util != NULL, "%s", util ? "all CPUs" : why_util);
    rc = rc ? rc
            : aib_prof_values_set(out, "cpu_freq_mean", AIB_PV_LEVEL, freq ? freq->mean : 0,
                                  "MHz", freq != NULL, "%s", freq ? "" : why_freq);
    rc = rc ? rc
            : aib_prof_values_set(out, "mem_used_max", AIB_PV_LEVEL, mem ? mem->max : 0, "B",
                                  mem != NULL, "%s", mem ? "whole machine" : why_mem);
    rc = rc ? rc
            : aib_prof_values_set(out, "disk_read", AIB_PV_TOTAL, st->disk_r, "B", disk, "%s",
                                  disk ? "whole machine" : why_disk);
    rc = rc ? rc
            : aib_prof_values_set(out, "disk_write", AIB_PV_TOTAL, st->disk_w, "B", disk, "%s",
                                  disk ? "whole machine" : why_disk);
    rc = rc ? rc
            : aib_prof_values_set(out, "net_rx", AIB_PV_TOTAL, st->net_rx, "B", net, "%s",
                                  net ? "every interface but lo" : why_net);
    rc = rc ? rc
            : aib_prof_values_set(out, "net_tx", AIB_PV_TOTAL, st->net_tx, "B", net, "%s",
                                  net ? "every interface but lo" : why_net);
    bool oom = st->oom;
    pthread_mutex_unlock(&st->mu);
    return rc || oom ? aib_err_set(err, AIB_ENOMEM, "out of memory") : 0;
}

static int sys_series(void *state, struct aib_series_set *out, struct aib_err *err)
{
    struct sys_state *st = state;
    pthread_mutex_lock(&st->mu);
    int rc = aib_series_move(out, &st->series);
    pthread_mutex_unlock(&st->mu);
    return rc ? aib_err_set(err, AIB_ENOMEM, "out of memory") : 0;
}

static void sys_close(void *state)
{
    struct sys_state *st = state;
    if (!st)
        return;
    aib_procfs_stop(st->sampler); /* joins the thread: no callback after this */
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
    aib_series_free(&st->series);
    free(st);
}

static int sys_probe(const struct aib_device *dev, const struct aib_prof_opts *o, char *why,
                     size_t len)
{
    (void)dev;
    struct aib_procfs_reader *r = NULL;
    struct aib_err e = {0};
    struct aib_procfs_sample *x = calloc(1, sizeof *x);
    int ok = 0;
    if (!x) {
        snprintf(why, len, "out of memory");
        return 0;
    }
    if (aib_procfs_reader_new(o && o->root && o->root[0] ? o->root : NULL, &r, &e) != 0)
        snprintf(why, len, "%s", e.msg);
    else if (aib_procfs_read(r, aib_now_mono(), x) != 0)
        snprintf(why, len, "cannot read /proc/stat");
    else {
        ok = 1;
        snprintf(why, len, "%u CPUs", x->ncpus);
    }
    aib_procfs_reader_free(r);
    free(x);
    return ok;
}

const struct aib_prof_ops aib_prof_system = {
    .name = "system",
    .abi = AIB_PROFILER_ABI,
    .devices = AIB_DEV_ALL,
    .summary = "/proc and /sys sampler: per-CPU use and clock, memory, load, disk, network",
    .probe = sys_probe,
    .open = sys_open,
    .start = sys_start,
    .stop = sys_stop,
    .read = sys_read,
    .series = sys_series,
    .close = sys_close,
};
