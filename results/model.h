/* What a run produces: the run (with its environment) and one result per
 * workload x device x parameter set, with every timed sample. Shared by the
 * engine, the store, compare and the printers. */
#ifndef AIB_MODEL_H
#define AIB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "../bench/kv.h"

/* Statistics over per-iteration times in seconds. */
struct aib_stats {
    size_t n;
    double min, max, mean, median, stddev;
    double cv;           /* stddev / mean */
    double p95;
    double ci_lo, ci_hi; /* 95% confidence interval of the median (order statistics) */
    double mad;          /* median absolute deviation */
    size_t outliers;     /* samples further than 3 * 1.4826 * MAD from the median */
};

#define AIB_STATUS_OK "ok"
#define AIB_STATUS_FAILED "failed"
#define AIB_STATUS_INTERRUPTED "interrupted"
#define AIB_STATUS_RUNNING "running"
#define AIB_STATUS_SKIPPED "skipped"

/* A named figure a workload reports beside the timing statistics (IO latency
 * percentiles, IOPS, threads used, counters...). `valid` false means the
 * figure could not be measured here: shown as missing, never as 0. */
struct aib_metric {
    char name[48];
    char unit[16];
    double value;
    int valid;
    char note[128]; /* why it is missing, or how it was derived */
};

struct aib_result {
    int64_t id;
    char workload[32];
    char device[48];
    char params[512];    /* canonical "k=v,k=v" in declaration order: the match key */
    char status[16];     /* ok, failed, interrupted, skipped */
    char error[512];
    double *samples;     /* seconds per iteration, owned */
    size_t nsamples, cap;
    uint64_t iters_per_sample;
    struct aib_stats st;
    double flops, bytes, ops; /* work per iteration */
    double throughput;   /* work / median time, in `unit` */
    char unit[16];       /* "GFLOP/s", "GB/s", "op/s" */
    double started, ended; /* unix seconds */
    struct aib_metric *metrics; /* owned */
    size_t nmetrics, mcap;
};

struct aib_run {
    int64_t id;
    char uuid[40];
    char status[16];     /* running, ok, failed, interrupted */
    char suite[128];     /* suite name, or "" for a command-line run */
    char cmdline[1024];
    char host[256];
    /* The git commit and branch of the directory aibench ran in ("" when it
     * is not a git work tree), and the host fingerprint: a hash of the
     * hardware and configuration (its parts are in env as fingerprint.*;
     * see results/ci.h). Schema version 3; "" for older runs. */
    char git_commit[48];
    char git_branch[128];
    char fingerprint[24];
    double started, ended;
    size_t nresults;     /* filled by list/load */
    struct aib_kvlist env;
};

int aib_result_push_sample(struct aib_result *r, double seconds);
/* Adds or replaces a metric; note may be NULL. */
int aib_result_set_metric(struct aib_result *r, const char *name, double value, const char *unit,
                          int valid, const char *note);
const struct aib_metric *aib_result_metric(const struct aib_result *r, const char *name);
void aib_result_free(struct aib_result *r);
void aib_results_free(struct aib_result *r, size_t n);
void aib_run_free(struct aib_run *run);

#endif
