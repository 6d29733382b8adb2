/* The machine-speed probe (probe.c): a fixed loop timed just before each
 * result, stored as the result's metric `probe_s`, so that the CI gate can
 * see when the machine, not the code, changed speed. */
#ifndef AIB_PROBE_H
#define AIB_PROBE_H

/* Name of the metric the engine stores the probe under. */
#define AIB_PROBE_METRIC "probe_s"

/* Per-CPU metrics are AIB_PROBE_METRIC ".cpu" N (N: the OS CPU number). */
#define AIB_PROBE_MAX_CPUS 4

struct aib_probe {
    int n;                           /* CPUs probed */
    int cpu[AIB_PROBE_MAX_CPUS];     /* OS CPU numbers; -1: not pinned */
    double s[AIB_PROBE_MAX_CPUS];    /* fastest pass on each, seconds */
    double mean;
};

/* Times the probe on each of the first CPUs (at most AIB_PROBE_MAX_CPUS)
 * in the calling thread's affinity mask, pinning the thread to each in turn
 * and restoring its mask afterwards. 0 or AIB_ENOMEM. */
int aib_probe_run(struct aib_probe *p);

struct aib_result;
/* Runs the probe and stores it as r's metrics AIB_PROBE_METRIC (the mean)
 * and AIB_PROBE_METRIC ".cpuN". 0 or AIB_ENOMEM. */
int aib_probe_result(struct aib_result *r);

#endif
