/* The roofline model of a run: per device, measured ceilings (peak compute
 * per precision, memory bandwidth) and every compute result placed under
 * them with its arithmetic intensity, the fraction of the roof it reaches
 * and why it is where it is. Pure functions over loaded results; the
 * commands (cmd_roofline.c, cmd_report.c) load and draw.
 *
 * Ceilings, per device id:
 *  - compute, per precision: the fastest `matmul` (or `peak`) result of
 *    that precision among the sources; when none, the device's declared
 *    peak (run_env device.ID.peak_PREC_gflops, from `aibench devices`).
 *  - memory: the fastest `membw` result (STREAM bytes, GB/s) among those
 *    whose working set is main memory: above twice the last-level cache
 *    when that is known, else the largest working set measured. A faster
 *    cache-resident membw result becomes a separate cache ceiling, drawn
 *    for context; the verdicts use the main-memory one.
 *
 * A point (a result with flops, status ok) at intensity I and speed T,
 * with compute ceiling P and bandwidth B: the roof there is
 * A = min(P, I * B), the fraction f = T / A, and the verdict:
 *  - f >= AIB_ROOF_BOUND_FRACTION: bound by the ceiling that limits A
 *    (compute-bound when P <= I * B, else memory-bound);
 *  - below it: neither; the time goes to latency, launches, synchronisation
 *    or IO, not to the arithmetic units or memory bandwidth.
 * With only one of P and B known, A is that one and the note says so. */
#ifndef AIB_ROOFLINE_H
#define AIB_ROOFLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bench/err.h"
#include "../bench/kv.h"
#include "model.h"

/* A result at or above this fraction of its roof is bound by that roof. */
#define AIB_ROOF_BOUND_FRACTION 0.5
/* A membw result counts as main memory when its working set exceeds the
 * last-level cache by this factor. */
#define AIB_ROOF_DRAM_FACTOR 2.0

enum aib_roof_bound {
    AIB_ROOF_COMPUTE,  /* compute-bound */
    AIB_ROOF_MEMORY,   /* memory-bound */
    AIB_ROOF_NEITHER,  /* latency, launch or IO bound */
    AIB_ROOF_UNPLACED, /* no intensity or no ceiling: not on the chart */
};
/* "compute-bound", "memory-bound", "neither", "not placed". */
const char *aib_roof_bound_name(enum aib_roof_bound b);

enum aib_roof_ceil_kind {
    AIB_CEIL_COMPUTE, /* GFLOP/s, one per precision */
    AIB_CEIL_MEMORY,  /* GB/s, main memory */
    AIB_CEIL_CACHE,   /* GB/s, a cache-resident working set (context only) */
};

struct aib_roof_ceiling {
    enum aib_roof_ceil_kind kind;
    char device[48];
    char precision[16];  /* compute: "fp32", "fp64", ...; else "" */
    double value;        /* GFLOP/s or GB/s */
    bool declared;       /* a declared peak, not a measurement */
    int64_t run_id;      /* where it was measured (0: declared) */
    int64_t result_id;
    double working_set;  /* memory and cache: bytes of all arrays */
    char source[640];    /* "result 12 (run 3): matmul n=2048,..." or "declared peak: ..." */
};

struct aib_roof_point {
    int64_t result_id;
    size_t index;        /* 1-based position of the result in its run */
    char workload[32];
    char device[48];
    char params[512];
    char precision[16];
    double gflops;       /* achieved */
    double intensity;    /* flop/byte; 0 when unknown */
    char intensity_src[160];
    int compute, memory; /* indices of the ceilings used, -1 when none */
    double roof;         /* attainable at this intensity: min(P, I * B) */
    double fraction;     /* gflops / roof */
    enum aib_roof_bound bound;
    char why[384];       /* the reason for the verdict, one line */
};

struct aib_roofline {
    struct aib_roof_ceiling *ceil;
    size_t nceil, ceil_cap;
    struct aib_roof_point *pts;
    size_t npts, pts_cap;
};

/* One run's results as a source of points and ceilings. */
struct aib_roof_source {
    const struct aib_result *res;
    size_t n;
    int64_t run_id;
    const struct aib_kvlist *env; /* run_env, for declared peaks and cache sizes; may be NULL */
};

/* Builds the roofline of src[0]: its compute results become the points;
 * every source gives measured ceilings (src[1..]: other runs of the same
 * host), src[0]'s environment the declared peaks. AIB_ENOMEM only. */
int aib_roofline_build(const struct aib_roof_source *src, size_t nsrc, struct aib_roofline *out,
                       struct aib_err *err);
void aib_roofline_free(struct aib_roofline *rl);

/* The distinct devices that have points, in the order of the points; at
 * most max ids (borrowed from the roofline). */
size_t aib_roof_devices(const struct aib_roofline *rl, const char **ids, size_t max);
/* The ceiling of kind (and precision, for compute) on device, or -1. */
int aib_roof_find(const struct aib_roofline *rl, const char *device, enum aib_roof_ceil_kind kind,
                  const char *precision);

/* --- the pure model, exported for the unit tests -------------------------- */

/* min(peak, intensity * bw), with an unknown (<= 0) side left out;
 * 0 when both are unknown or the intensity is not > 0. */
double aib_roof_attainable(double peak, double bw, double intensity);
/* The verdict for a point (see the top of this file); *roof and *fraction
 * get A and T / A (0 when A is 0). */
enum aib_roof_bound aib_roof_classify(double gflops, double intensity, double peak, double bw,
                                      double *roof, double *fraction);
/* Flop per byte of a result: the `intensity` metric when valid (counted
 * bytes, or bytes the workload declares), else flops / declared bytes,
 * else flops / the compulsory traffic of aib_roof_traffic. src says which.
 * 0 when none can be had (src says why). */
double aib_roof_intensity(const struct aib_result *r, char *src, size_t len);
/* Compulsory bytes per iteration of a matmul or conv from its parameters
 * (each operand read once, the output written once; element sizes by
 * precision; `shape=` and `layer=` looked up): a lower bound on the
 * traffic, so an upper bound on the intensity. 0 for other workloads. */
double aib_roof_traffic(const char *workload, const char *params);
/* The value of key in a canonical "k=v,k=v" string into buf; false when
 * absent. */
bool aib_roof_param(const char *params, const char *key, char *buf, size_t len);
/* Bytes of a cache size as run_env writes it ("32 MiB x 1 (shared)",
 * "1 MiB x 2 (per core)": the total); 0 when it cannot be read. */
double aib_roof_cache_bytes(const char *text);

#endif
