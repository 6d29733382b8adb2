/* Host telemetry from /proc and /sys: per-CPU utilisation and frequency,
 * memory, load, and disk and network byte rates.
 *
 * Two layers:
 *  - a reader turns consecutive snapshots of the kernel's counters into
 *    values (rates need two snapshots, so the first read has none);
 *  - a sampler runs a reader on its own thread every interval, keeps the
 *    latest sample (read it with aib_procfs_latest) and hands each new one
 *    to an optional callback, so a view, or a profiler that stores series
 *    with a run, never reads /proc on its own clock.
 *
 * Every value carries a validity bit. A file that cannot be read, a counter
 * that went backwards or an interval of zero gives "missing" (bit clear),
 * never 0. The root directory is a parameter so tests can point a reader at
 * a fake tree of real files. */
#ifndef AIB_PROCFS_H
#define AIB_PROCFS_H

#include <stdint.h>

#include "../bench/err.h"

#define AIB_PROCFS_MAX_CPUS 512

/* Validity bits. */
enum {
    AIB_PF_UTIL = 1u << 0, /* aib_procfs_cpu.util */
    AIB_PF_FREQ = 1u << 1, /* aib_procfs_cpu.freq_mhz */
    AIB_PF_MEM = 1u << 2,  /* mem_total, mem_available */
    AIB_PF_SWAP = 1u << 3, /* swap_total, swap_free */
    AIB_PF_LOAD = 1u << 4, /* load1 */
    AIB_PF_DISK = 1u << 5, /* disk_read_bps, disk_write_bps */
    AIB_PF_NET = 1u << 6,  /* net_rx_bps, net_tx_bps */
};

struct aib_procfs_cpu {
    int id;          /* N of "cpuN" in /proc/stat; -1 for the total */
    double util;     /* busy fraction in [0, 1] over the last interval */
    double freq_mhz; /* current clock (cpufreq, else /proc/cpuinfo); total: mean */
    unsigned valid;  /* AIB_PF_UTIL | AIB_PF_FREQ */
};

struct aib_procfs_sample {
    uint64_t seq;    /* 1 for the first sample a sampler takes; 0 = none yet */
    double t;        /* when it was read (the caller's clock: CLOCK_MONOTONIC s) */
    double interval; /* seconds since the previous snapshot; 0 on the first */
    unsigned valid;  /* AIB_PF_MEM | SWAP | LOAD | DISK | NET */
    unsigned ncpus;  /* CPUs listed in /proc/stat (at most AIB_PROCFS_MAX_CPUS) */
    struct aib_procfs_cpu total;
    struct aib_procfs_cpu cpu[AIB_PROCFS_MAX_CPUS];
    uint64_t mem_total, mem_available; /* bytes */
    uint64_t swap_total, swap_free;    /* bytes */
    double load1;                      /* 1-minute load average */
    double disk_read_bps, disk_write_bps; /* whole disks (no loop/ram/zram/dm/md), bytes/s */
    double net_rx_bps, net_tx_bps;        /* every interface but lo, bytes/s */
};

/* --- reader: one snapshot per call, no thread ---------------------------- */

struct aib_procfs_reader;

/* root: "" or NULL for the real /, else a directory holding proc/ and sys/. */
int aib_procfs_reader_new(const char *root, struct aib_procfs_reader **out, struct aib_err *err);
/* Reads the counters now; `now` is the caller's time in seconds (rates use
 * the difference to the previous call's). Fills *out (seq is left 0).
 * Returns 0, or AIB_EIO when not even /proc/stat could be read (then
 * nothing in *out is valid). */
int aib_procfs_read(struct aib_procfs_reader *r, double now, struct aib_procfs_sample *out);
void aib_procfs_reader_free(struct aib_procfs_reader *r);

/* --- sampler: a reader on a background thread ---------------------------- */

struct aib_procfs_opts {
    double interval_s; /* > 0; the first sample is taken at start */
    const char *root;  /* NULL: the real / */
    /* Optional; called on the sampler thread with each new sample (valid
     * only during the call). Keep it short: it delays the next read. */
    void (*on_sample)(void *ctx, const struct aib_procfs_sample *s);
    void *ctx;
    const char *thread_name; /* at most 15 characters; NULL: "aib-procfs" */
};

struct aib_procfs_sampler;

/* Starts the thread. AIB_EUSAGE for a bad interval, AIB_ERUN if the thread
 * cannot start, AIB_ENOMEM. */
int aib_procfs_start(const struct aib_procfs_opts *o, struct aib_procfs_sampler **out,
                     struct aib_err *err);
/* Copies the latest sample into *out (a short lock); returns its seq, 0
 * when none has been taken yet (then *out is untouched). */
uint64_t aib_procfs_latest(struct aib_procfs_sampler *s, struct aib_procfs_sample *out);
/* Stops and joins the thread at once (it does not wait out the interval),
 * then frees. NULL is fine. */
void aib_procfs_stop(struct aib_procfs_sampler *s);

#endif
