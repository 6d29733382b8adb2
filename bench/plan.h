/* A plan: the ordered list of (workload, device, parameter set) entries a
 * run will execute, from the command line or a suite, plus timing options.
 * Everything is validated while the plan is built, before anything runs or
 * is written. */
#ifndef AIB_PLAN_H
#define AIB_PLAN_H

#include <stddef.h>

#include "../devices/device.h"
#include "../workloads/workload.h"
#include "err.h"

/* Stopping rule (nvbench/hyperfine style): after warm-up, sample until
 * at least min_reps samples and min_time seconds, and the 95% CI of the
 * median is within +-target_ci of it; or until max_time is spent. */
struct aib_engine_opts {
    double warmup_s;
    double min_time_s;
    double max_time_s;
    int min_reps;
    double target_ci; /* relative half-width, 0.01 = +-1% */
};
void aib_engine_opts_default(struct aib_engine_opts *o);

/* One parameter as given by the user: key and one or more values (a sweep). */
struct aib_pspec {
    char key[64];
    char **values;
    size_t nvalues;
    char where[160]; /* "command line" or "FILE:LINE:COL", for messages */
};
/* Splits "n=512,1024" into a pspec (values owned). AIB_EUSAGE if malformed. */
int aib_pspec_parse(const char *kv, const char *where, struct aib_pspec *out, struct aib_err *err);
void aib_pspec_free(struct aib_pspec *p);

struct aib_plan_entry {
    const struct aib_workload_ops *w;
    const struct aib_device *dev; /* points into the plan's device list */
    void *params;                 /* owned, w->params.size bytes */
    char params_str[512];
    char where[160];
};

struct aib_plan {
    struct aib_plan_entry *items;
    size_t len, cap;
    struct aib_engine_opts opts;
    char suite[128];               /* suite name or "" */
    char **notes;                  /* e.g. "skipped cuda:*: no CUDA devices" (owned) */
    size_t nnotes;
};

/* Expands the cross product of the specs' values for one workload on one
 * device, validating every value and the workload's validate() hook. */
int aib_plan_add_sweep(struct aib_plan *plan, const struct aib_workload_ops *w,
                       const struct aib_device *dev, const struct aib_pspec *specs, size_t nspecs,
                       const char *where, struct aib_err *err);
int aib_plan_note(struct aib_plan *plan, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void aib_plan_free(struct aib_plan *plan);

/* Resolves a device selector against the discovered devices: "cpu", an exact
 * id, "cuda:*", "opencl:*", "all". Appends matches (restricted to kinds in
 * `kinds_mask`) to out[] (capacity max); returns the count, or AIB_EUSAGE
 * when the selector is malformed or names no known device kind. */
int aib_devices_select(const struct aib_devlist *devs, const char *selector, unsigned kinds_mask,
                       const struct aib_device **out, size_t max, struct aib_err *err);

#endif
