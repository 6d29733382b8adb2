/* Profilers: what runs beside a workload to say why it runs at the speed it
 * does and what energy it took. One self-describing table per profiler,
 * listed explicitly in profilers/registry.c (like the workload registry).
 *
 * Contract, for every profiler:
 *  - open() is called per entry before the workload's setup (so counters that
 *    follow new threads see the workload's threads), start() just before the
 *    first timed sample, stop() right after the last one, never inside a
 *    sample's timed call; read() and series() after stop(); close() last.
 *  - A value that cannot be measured here (no PMU, no RAPL, no NVIDIA driver,
 *    a permission) is reported by read() as missing with the reason, never as
 *    zero, and is not an error: open() fails only when something is really
 *    wrong (out of memory).
 *  - Profilers that sample in the background own their thread: created in
 *    open() (before perf's counters, see registry.c), recording only between
 *    start() and stop(), joined by close(); it is named "aib-..." so the
 *    counters leave it out. They timestamp their own samples; the engine
 *    alone times the workload. */
#ifndef AIB_PROFILER_H
#define AIB_PROFILER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../bench/err.h"
#include "../devices/device.h"
#include "../results/model.h"
#include "series.h"

#define AIB_PROFILER_ABI 1

/* Default background sampling period (10 Hz) and the accepted range. */
#define AIB_PROF_INTERVAL_DEFAULT_S 0.1
#define AIB_PROF_INTERVAL_MIN_S 0.001
#define AIB_PROF_INTERVAL_MAX_S 60.0

struct aib_prof_opts {
    double interval_s;   /* background sampling period */
    const char *root;    /* prefix for /sys and /proc paths; "" or NULL: the real ones (tests
                          * point it at a tree of real files they wrote) */
    const char *metrics; /* comma-separated metric names for profilers that take a list
                          * (the CUPTI range profiler); NULL: the profiler's default set */
    const char *nvml_lib; /* library to load instead of libnvidia-ml.so.1; NULL: that one */
};

/* How a value relates to the work: a total over the profiled region (divided
 * by the iterations for a per-iteration figure) or a level (an average,
 * maximum or ratio, never divided). */
enum aib_pv_kind { AIB_PV_TOTAL, AIB_PV_LEVEL };

/* One value read from a profiler, with its validity bit. */
struct aib_prof_value {
    char name[48];  /* "cycles" from a profiler; "perf.cycles" once the session prefixes it */
    char unit[16];
    double value;
    int valid;      /* 0: missing; note says why */
    enum aib_pv_kind kind;
    char note[128]; /* why it is missing, or how it was obtained (scaling, sources) */
};

struct aib_prof_values {
    struct aib_prof_value *items;
    size_t len, cap;
};

/* Adds or replaces a value (note is printf-style, may be NULL). 0 or AIB_ENOMEM. */
int aib_prof_values_set(struct aib_prof_values *v, const char *name, enum aib_pv_kind kind,
                        double value, const char *unit, int valid, const char *note_fmt, ...)
    __attribute__((format(printf, 7, 8)));
const struct aib_prof_value *aib_prof_values_get(const struct aib_prof_values *v,
                                                 const char *name);
void aib_prof_values_free(struct aib_prof_values *v);

struct aib_prof_ops {
    const char *name;    /* short, the prefix of its metric names: "perf", "rapl" */
    int abi;             /* AIB_PROFILER_ABI */
    unsigned devices;    /* mask of aib_device_kind whose entries it profiles */
    const char *summary; /* one line for --help and docs */
    /* Is it usable here for entries on dev? 1 yes; 0 no, with the reason in
     * why ("libnvidia-ml.so.1 not found"). Cheap, no side effects. */
    int (*probe)(const struct aib_device *dev, const struct aib_prof_opts *o, char *why,
                 size_t len);
    /* Prepares counters or a sampling thread for dev. *state is owned by the
     * profiler until close(). Unavailable parts are not an error. */
    int (*open)(const struct aib_device *dev, const struct aib_prof_opts *o, void **state,
                struct aib_err *err);
    int (*start)(void *state, struct aib_err *err);
    int (*stop)(void *state, struct aib_err *err);
    /* Every value it knows, over start..stop: measured, or missing with why. */
    int (*read)(void *state, struct aib_prof_values *out, struct aib_err *err);
    /* Optional: moves the series sampled between start and stop into out. */
    int (*series)(void *state, struct aib_series_set *out, struct aib_err *err);
    void (*close)(void *state);
};

extern const struct aib_prof_ops aib_prof_system;
extern const struct aib_prof_ops aib_prof_nvml;
extern const struct aib_prof_ops aib_prof_rapl;
extern const struct aib_prof_ops aib_prof_perf;

/* The registry (profilers/registry.c): every profiler, in opening order. */
const struct aib_prof_ops *const *aib_prof_registry(size_t *n);
const struct aib_prof_ops *aib_prof_find(const char *name);
/* Checks ABI, required hooks and unique names (at start-up, like workloads). */
int aib_prof_registry_check(struct aib_err *err);

/* --- a profiling session: what the engine drives (profilers/session.c) ----
 * One per run. All calls accept NULL (no profiling) and do nothing then. */
struct aib_profilers;

/* names: comma list of profiler names, "all" (or NULL) or "none". Unknown
 * name or bad interval: AIB_EUSAGE with a one-line message. */
int aib_profilers_new(const char *names, const struct aib_prof_opts *o,
                      struct aib_profilers **out, struct aib_err *err);
void aib_profilers_free(struct aib_profilers *p);
/* One entry per profiler for `run --help`: name, summary, and whether it
 * is usable on this machine (its probe), with the reason when not. */
void aib_profilers_help(FILE *f);
/* Parses a --sample-interval value in milliseconds ("100", "100ms", "0.5s"). */
int aib_profilers_parse_interval(const char *v, double *seconds, struct aib_err *err);

/* Per entry: open the profilers that apply to dev (before the workload's
 * setup), start (just before the first timed sample), stop (right after the
 * last), then finish: read the values into r as metrics "NAME.VALUE" (plus
 * "NAME.VALUE/iter" for totals) with the derived figures, keep the series
 * for aib_profilers_take_series, and close. finish stops first when the
 * entry ended early; keep=0 (a failed entry) closes without adding metrics.
 * Only running out of memory is an error; a profiler that fails is recorded
 * as a missing metric "NAME" with the reason. */
int aib_profilers_open(struct aib_profilers *p, const struct aib_device *dev, struct aib_err *err);
void aib_profilers_start(struct aib_profilers *p);
void aib_profilers_stop(struct aib_profilers *p);
int aib_profilers_finish(struct aib_profilers *p, const struct aib_device *dev,
                         struct aib_result *r, int keep, struct aib_err *err);
/* Moves the series of the last finished entry into out (appending). */
int aib_profilers_take_series(struct aib_profilers *p, struct aib_series_set *out);

/* Derived figures (profilers/derive.c) from the values of one entry and the
 * result's timing: IPC, CPUs used, fraction of the device's peak,
 * intensity, energy per iteration, average power, GFLOP/s per watt. */
int aib_prof_derive(const struct aib_device *dev, const struct aib_prof_values *all,
                    double region_s, struct aib_result *r, struct aib_err *err);

#endif
