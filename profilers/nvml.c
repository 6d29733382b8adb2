/* NVML telemetry of the entry's GPU, sampled on a background thread at the
 * session's interval between start and stop: power, SM and memory clocks,
 * utilization, temperature, memory used, PCIe throughput and clock event
 * (throttle) reasons, stored as series; energy is the difference of the
 * total energy counter read at start and stop. Without the library or a
 * driver every value is missing with the reason; nothing here can crash
 * for lack of either (no call is made without a handle). */
#include "nvml.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench/engine.h"

#define NVML_LIB "libnvidia-ml.so.1"

/* The series sampled, in the order read() reports them. */
enum { S_POWER, S_SM_CLOCK, S_MEM_CLOCK, S_GPU_UTIL, S_MEM_UTIL, S_TEMP, S_MEM_USED, S_PCIE_TX,
       S_PCIE_RX, S_THROTTLE, NSER };
static const struct {
    const char *name, *unit;
} ser[NSER] = {
    {"power", "W"},       {"sm_clock", "MHz"},  {"mem_clock", "MHz"}, {"gpu_util", "%"},
    {"mem_util", "%"},    {"temperature", "C"}, {"mem_used", "B"},    {"pcie_tx", "B/s"},
    {"pcie_rx", "B/s"},   {"throttle_reasons", "mask"},
};

struct nvml_state {
    struct aib_nvml_api api;
    void *dl;              /* dlopen handle, NULL with a test table */
    bool inited;           /* nvmlInit succeeded: shutdown at close */
    aib_nvml_dev h;
    char absent[128];      /* why there is no NVML for this device ("" if there is) */
    char via[96];          /* how the device was matched */
    double interval;
    /* the sampler thread; the fields below `mu` are shared with it */
    pthread_t th;
    bool have_thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int phase;             /* 0 wait, 1 sample, 2 quit */
    bool busy;             /* the thread is reading NVML (outside the lock) */
    double mono0, wall0;
    struct aib_series_set series;
    aib_nvml_ret first_err[NSER]; /* the first failure of each, for "missing" */
    bool oom;
    unsigned long long reasons; /* OR of every sampled mask */
    /* energy counter at start and stop (mJ) */
    unsigned long long e0, e1;
    aib_nvml_ret e_rc;
    double t0, t1;
    bool started, stopped;
};

/* --- loading ---------------------------------------------------------------- */

void *aib_nvml_load(const char *lib, struct aib_nvml_api *api, char *why, size_t len)
{
    const char *name = lib ? lib : NVML_LIB;
    memset(api, 0, sizeof *api);
    void *dl = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        if (lib)
            snprintf(why, len, "cannot load %s: %s", lib, dlerror());
        else
            snprintf(why, len, "%s not found (no NVIDIA driver installed)", NVML_LIB);
        return NULL;
    }
    /* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
#define SYM(field, sym) *(void **)(&api->field) = dlsym(dl, sym)
    SYM(init, "nvmlInit_v2");
    SYM(shutdown, "nvmlShutdown");
    SYM(error_string, "nvmlErrorString");
    SYM(handle_by_index, "nvmlDeviceGetHandleByIndex_v2");
    SYM(handle_by_pci, "nvmlDeviceGetHandleByPciBusId_v2");
    SYM(power, "nvmlDeviceGetPowerUsage");
    SYM(energy, "nvmlDeviceGetTotalEnergyConsumption");
    SYM(clock, "nvmlDeviceGetClockInfo");
    SYM(utilization, "nvmlDeviceGetUtilizationRates");
    SYM(temperature, "nvmlDeviceGetTemperature");
    SYM(memory, "nvmlDeviceGetMemoryInfo");
    SYM(pcie, "nvmlDeviceGetPcieThroughput");
    SYM(throttle, "nvmlDeviceGetCurrentClocksEventReasons");
    if (!api->throttle) /* the name before driver 535 */
        SYM(throttle, "nvmlDeviceGetCurrentClocksThrottleReasons");
#undef SYM
    if (!api->init || !api->shutdown || !api->error_string || !api->handle_by_index) {
        snprintf(why, len, "%s lacks nvmlInit_v2 or nvmlDeviceGetHandleByIndex_v2 (driver too old)",
                 name);
        dlclose(dl);
        memset(api, 0, sizeof *api);
        return NULL;
    }
    return dl;
}

static const char *nvml_err(const struct nvml_state *st, aib_nvml_ret rc)
{
    const char *s = st->api.error_string ? st->api.error_string(rc) : NULL;
    return s ? s : "unknown NVML error";
}

void aib_nvml_reasons(unsigned long long mask, char *buf, size_t len)
{
    static const char *const names[] = {"gpu_idle", "applications_clocks", "sw_power_cap",
                                        "hw_slowdown", "sync_boost", "sw_thermal_slowdown",
                                        "hw_thermal_slowdown", "hw_power_brake", "display_clock"};
    size_t used = 0;
    buf[0] = '\0';
    if (!mask) {
        snprintf(buf, len, "none");
        return;
    }
    for (size_t i = 0; i < 64; i++) {
        if (!(mask & (1ull << i)))
            continue;
        char other[24];
        const char *n = i < sizeof names / sizeof names[0] ? names[i] : other;
        if (n == other)
            snprintf(other, sizeof other, "bit%zu", i);
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", n);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
    }
}

/* --- sampling ----------------------------------------------------------------- */

/* Records one value, or the first reason it could not be read. Called with mu held. */
static void put(struct nvml_state *st, int k, double t, aib_nvml_ret rc, double v)
{
    if (rc != AIB_NVML_SUCCESS) {
        if (!st->first_err[k])
            st->first_err[k] = rc;
        return;
    }
    struct aib_series *s = aib_series_get(&st->series, "nvml", ser[k].name, ser[k].unit, st->wall0);
    if (!s || aib_series_push(s, t, v))
        st->oom = true;
}

/* Not supported at all: a function the driver lacks. */
#define NOFN (-1)

static void sample(struct nvml_state *st)
{
    const struct aib_nvml_api *a = &st->api;
    unsigned int u = 0, u2 = 0;
    unsigned long long ull = 0;
    struct aib_nvml_utilization ut = {0};
    struct aib_nvml_memory mem = {0};
    aib_nvml_ret r[NSER];
    double v[NSER] = {0};
    /* NVML calls outside the lock: they can take a millisecond. */
    double t = aib_now_mono() - st->mono0;
    r[S_POWER] = a->power ? a->power(st->h, &u) : NOFN;
    v[S_POWER] = u / 1000.0;
    r[S_SM_CLOCK] = a->clock ? a->clock(st->h, AIB_NVML_CLOCK_SM, &u) : NOFN;
    v[S_SM_CLOCK] = u;
    r[S_MEM_CLOCK] = a->clock ? a->clock(st->h, AIB_NVML_CLOCK_MEM, &u2) : NOFN;
    v[S_MEM_CLOCK] = u2;
    r[S_GPU_UTIL] = r[S_MEM_UTIL] = a->utilization ? a->utilization(st->h, &ut) : NOFN;
    v[S_GPU_UTIL] = ut.gpu;
    v[S_MEM_UTIL] = ut.memory;
    r[S_TEMP] = a->temperature ? a->temperature(st->h, AIB_NVML_TEMPERATURE_GPU, &u) : NOFN;
    v[S_TEMP] = u;
    r[S_MEM_USED] = a->memory ? a->memory(st->h, &mem) : NOFN;
    v[S_MEM_USED] = (double)mem.used;
    r[S_PCIE_TX] = a->pcie ? a->pcie(st->h, AIB_NVML_PCIE_TX_BYTES, &u) : NOFN;
    v[S_PCIE_TX] = u * 1024.0;
    r[S_PCIE_RX] = a->pcie ? a->pcie(st->h, AIB_NVML_PCIE_RX_BYTES, &u2) : NOFN;
    v[S_PCIE_RX] = u2 * 1024.0;
    r[S_THROTTLE] = a->throttle ? a->throttle(st->h, &ull) : NOFN;
    v[S_THROTTLE] = (double)ull;
    pthread_mutex_lock(&st->mu);
    for (int k = 0; k < NSER; k++)
        put(st, k, t, r[k], v[k]);
    if (r[S_THROTTLE] == AIB_NVML_SUCCESS)
        st->reasons |= ull;
    pthread_mutex_unlock(&st->mu);
}

static void *sampler_main(void *arg)
{
    struct nvml_state *st = arg;
    pthread_mutex_lock(&st->mu);
    for (;;) {
        while (st->phase == 0)
            pthread_cond_wait(&st->cv, &st->mu);
        if (st->phase == 2)
            break;
        st->busy = true;
        pthread_mutex_unlock(&st->mu);
        double next = aib_now_mono() + st->interval;
        sample(st);
        pthread_mutex_lock(&st->mu);
        st->busy = false;
        pthread_cond_broadcast(&st->cv); /* stop() may wait for this sample */
        /* Sleep until the next tick, waking at once for stop or quit. */
        struct timespec ts = {.tv_sec = (time_t)next,
                              .tv_nsec = (long)((next - floor(next)) * 1e9)};
        while (st->phase == 1 && aib_now_mono() < next)
            if (pthread_cond_timedwait(&st->cv, &st->mu, &ts) == ETIMEDOUT)
                break;
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

/* --- the profiler --------------------------------------------------------------- */

static void find_device(struct nvml_state *st, const struct aib_device *dev)
{
    const char *bus = aib_kv_get(&dev->props, "pci_bus_id");
    aib_nvml_ret rc;
    if (bus && *bus && st->api.handle_by_pci &&
        (rc = st->api.handle_by_pci(bus, &st->h)) == AIB_NVML_SUCCESS) {
        snprintf(st->via, sizeof st->via, "NVML device at PCI %s", bus);
        return;
    }
    /* NVML orders by PCI bus, CUDA fastest first: the same on one-GPU machines. */
    rc = st->api.handle_by_index((unsigned)(dev->index > 0 ? dev->index : 0), &st->h);
    if (rc == AIB_NVML_SUCCESS)
        snprintf(st->via, sizeof st->via, "NVML index %d (no PCI bus id match)", dev->index);
    else
        snprintf(st->absent, sizeof st->absent, "no NVML device for %s: %s", dev->id,
                 nvml_err(st, rc));
}

int aib_nvml_open_api(const struct aib_nvml_api *api, const struct aib_device *dev,
                      const struct aib_prof_opts *o, void **state, struct aib_err *err)
{
    struct nvml_state *st = calloc(1, sizeof *st);
    if (!st)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    st->interval = o && o->interval_s > 0 ? o->interval_s : AIB_PROF_INTERVAL_DEFAULT_S;
    if (api)
        st->api = *api;
    if (api && !st->absent[0]) {
        aib_nvml_ret rc = st->api.init();
        if (rc != AIB_NVML_SUCCESS)
            snprintf(st->absent, sizeof st->absent, "nvmlInit: %s", nvml_err(st, rc));
        else {
            st->inited = true;
            find_device(st, dev);
        }
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* timedwait on aib_now_mono() */
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (api && !st->absent[0]) {
        if (pthread_create(&st->th, NULL, sampler_main, st) != 0) {
            snprintf(st->absent, sizeof st->absent, "cannot start the NVML sampler thread");
        } else {
            st->have_thread = true;
            /* "aib-..." threads are aibench's own: the perf counters leave them out. */
            pthread_setname_np(st->th, "aib-nvml");
        }
    }
    *state = st;
    return 0;
}

static void nvml_close(void *state);

static int nvml_open(const struct aib_device *dev, const struct aib_prof_opts *o, void **state,
                     struct aib_err *err)
{
    struct aib_nvml_api api;
    char why[128];
    void *dl = aib_nvml_load(o ? o->nvml_lib : NULL, &api, why, sizeof why);
    int rc = aib_nvml_open_api(dl ? &api : NULL, dev, o, state, err);
    if (rc) {
        if (dl)
            dlclose(dl);
        return rc;
    }
    struct nvml_state *st = *state;
    st->dl = dl;
    if (!dl)
        snprintf(st->absent, sizeof st->absent, "%s", why);
    return 0;
}

static int nvml_start(void *state, struct aib_err *err)
{
    (void)err;
    struct nvml_state *st = state;
    if (st->absent[0])
        return 0;
    st->e_rc = st->api.energy ? st->api.energy(st->h, &st->e0) : NOFN;
    st->t0 = aib_now_mono();
    pthread_mutex_lock(&st->mu);
    st->mono0 = st->t0;
    st->wall0 = aib_now_wall();
    st->phase = 1;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    st->started = true;
    return 0;
}

static int nvml_stop(void *state, struct aib_err *err)
{
    (void)err;
    struct nvml_state *st = state;
    if (!st->started || st->stopped)
        return 0;
    pthread_mutex_lock(&st->mu);
    st->phase = 0;
    pthread_cond_broadcast(&st->cv);
    while (st->busy) /* no sample after stop */
        pthread_cond_wait(&st->cv, &st->mu);
    pthread_mutex_unlock(&st->mu);
    st->t1 = aib_now_mono();
    if (st->e_rc == AIB_NVML_SUCCESS)
        st->e_rc = st->api.energy(st->h, &st->e1);
    st->stopped = true;
    return 0;
}

static const char *missing(const struct nvml_state *st, aib_nvml_ret rc)
{
    if (st->absent[0])
        return st->absent;
    if (!st->started)
        return "not started";
    if (rc == NOFN)
        return "this driver's NVML lacks the function";
    return rc ? nvml_err(st, rc) : "no sample in the profiled time (shorter than the interval)";
}

static int nvml_read(void *state, struct aib_prof_values *out, struct aib_err *err)
{
    struct nvml_state *st = state;
    int rc = 0;
    pthread_mutex_lock(&st->mu); /* the thread may still be finishing a sample */
    bool ok_e = !st->absent[0] && st->started && st->e_rc == AIB_NVML_SUCCESS && st->e1 >= st->e0;
    rc = aib_prof_values_set(out, "energy", AIB_PV_TOTAL, (double)(st->e1 - st->e0) / 1000.0, "J",
                             ok_e, "%s", ok_e ? st->via : missing(st, st->e_rc));
    for (int k = 0; k < NSER && !rc; k++) {
        const struct aib_series *s = NULL;
        for (size_t i = 0; i < st->series.len; i++)
            if (strcmp(st->series.items[i].name, ser[k].name) == 0)
                s = &st->series.items[i];
        char name[48];
        bool ok = s && s->n > 0;
        if (k == S_THROTTLE) {
            char why[128];
            aib_nvml_reasons(st->reasons, why, sizeof why);
            rc = aib_prof_values_set(out, "throttle_reasons", AIB_PV_LEVEL, (double)st->reasons,
                                     "mask", ok, "%s", ok ? why : missing(st, st->first_err[k]));
            continue;
        }
        /* Temperature and memory: the peak matters; the rest: the mean. */
        bool peak = k == S_TEMP || k == S_MEM_USED;
        snprintf(name, sizeof name, "%s_%s", ser[k].name, peak ? "max" : "mean");
        rc = aib_prof_values_set(out, name, AIB_PV_LEVEL, ok ? (peak ? s->max : s->mean) : 0,
                                 ser[k].unit, ok, "%s",
                                 ok ? "" : missing(st, st->first_err[k]));
    }
    bool oom = st->oom;
    pthread_mutex_unlock(&st->mu);
    if (rc || oom)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    return 0;
}

static int nvml_series(void *state, struct aib_series_set *out, struct aib_err *err)
{
    struct nvml_state *st = state;
    pthread_mutex_lock(&st->mu);
    int rc = aib_series_move(out, &st->series);
    pthread_mutex_unlock(&st->mu);
    return rc ? aib_err_set(err, AIB_ENOMEM, "out of memory") : 0;
}

static void nvml_close(void *state)
{
    struct nvml_state *st = state;
    if (!st)
        return;
    if (st->have_thread) {
        pthread_mutex_lock(&st->mu);
        st->phase = 2;
        pthread_cond_broadcast(&st->cv);
        pthread_mutex_unlock(&st->mu);
        pthread_join(st->th, NULL);
    }
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
    if (st->inited)
        st->api.shutdown();
    if (st->dl)
        dlclose(st->dl);
    aib_series_free(&st->series);
    free(st);
}

static int nvml_probe(const struct aib_device *dev, const struct aib_prof_opts *o, char *why,
                      size_t len)
{
    (void)dev;
    struct aib_nvml_api api;
    void *dl = aib_nvml_load(o ? o->nvml_lib : NULL, &api, why, len);
    if (!dl)
        return 0;
    aib_nvml_ret rc = api.init();
    int ok = rc == AIB_NVML_SUCCESS;
    if (ok) {
        snprintf(why, len, "NVML loaded");
        api.shutdown();
    } else {
        const char *s = api.error_string(rc);
        snprintf(why, len, "nvmlInit: %s", s ? s : "unknown NVML error");
    }
    dlclose(dl);
    return ok;
}

const struct aib_prof_ops aib_prof_nvml = {
    .name = "nvml",
    .abi = AIB_PROFILER_ABI,
    .devices = AIB_DEV_CUDA,
    .summary = "NVIDIA GPU telemetry (NVML): energy, power, clocks, use, temperature, PCIe",
    .probe = nvml_probe,
    .open = nvml_open,
    .start = nvml_start,
    .stop = nvml_stop,
    .read = nvml_read,
    .series = nvml_series,
    .close = nvml_close,
};
