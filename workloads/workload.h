/* The workload interface: one self-describing table per workload, listed
 * explicitly in bench/registry.c. Workloads do work; only the engine takes
 * timestamps. verify() checks the answer before any speed is reported. */
#ifndef AIB_WORKLOAD_H
#define AIB_WORKLOAD_H

#include <stdint.h>

#include "../bench/err.h"
#include "../bench/params.h"
#include "../devices/device.h"
#include "../results/model.h"

#define AIB_WORKLOAD_ABI 1

/* Work done by one iteration; the engine derives the throughput from the
 * first non-zero of flops (GFLOP/s), bytes (GB/s), ops (op/s). */
struct aib_work {
    double flops;
    double bytes;
    double ops;
};

struct aib_workload_ops {
    const char *name;
    int abi;             /* AIB_WORKLOAD_ABI */
    unsigned devices;    /* mask of aib_device_kind this workload runs on */
    const char *summary; /* one line for --help */
    struct aib_param_set params;

    /* Optional: checks params against the device before anything is
     * created or written (sizes that overflow or exceed memory). */
    int (*validate)(const struct aib_device *dev, const void *params, struct aib_err *err);
    /* Allocates and initialises; *state is owned by the workload until teardown. */
    int (*setup)(const struct aib_device *dev, const void *params, void **state,
                 struct aib_err *err);
    /* Does `iters` iterations of the work. Never takes timestamps. */
    int (*run)(void *state, uint64_t iters, struct aib_err *err);
    /* Checks the last answer; AIB_EVERIFY with what was wrong. */
    int (*verify)(void *state, struct aib_err *err);
    void (*work)(const void *params, struct aib_work *out);
    /* Optional: after the timed samples (never inside them), adds figures
     * beyond the timing statistics with aib_result_set_metric (latency
     * percentiles, IOPS, threads used...). */
    int (*metrics)(void *state, struct aib_result *r, struct aib_err *err);
    void (*teardown)(void *state);
};

/* A metrics hook's figures, set one per line with the first failure kept
 * (workload.c):
 *     struct aib_metric_list m = {r, 0};
 *     aib_metric_put(&m, "threads", n, "", 1, "pinned team");
 *     ...
 *     return aib_metric_list_end(&m, err);  (0, or AIB_ENOMEM with a message) */
struct aib_metric_list {
    struct aib_result *r;
    int rc;
};
void aib_metric_put(struct aib_metric_list *m, const char *name, double value, const char *unit, int valid,
                    const char *note);
int aib_metric_list_end(const struct aib_metric_list *m, struct aib_err *err);
/* The mean of r's timed samples (seconds per iteration), 0 when there are
 * none: rates over the whole timed part (work per iteration / mean time),
 * as fio and iperf3 report them, divide by it. */
double aib_samples_mean(const struct aib_result *r);

#endif
