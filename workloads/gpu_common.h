/* Helpers shared by the CUDA and OpenCL workloads: the device clock's view
 * of the timed samples, sampled checks against a double reference, half
 * floats, sizes for messages. (What the CPU variants share with them: GEMM
 * shapes in matmul/shapes.h, the conv geometry in conv/conv_common.h.)
 *
 * Device time: the engine times each run(iters) call with CLOCK_MONOTONIC;
 * GPU workloads also bracket the enqueued iterations with device events
 * (CUDA events, OpenCL profiling events) and report that clock as the
 * metrics device_time (median seconds per iteration) and device_throughput.
 * Only calls after the first verify() (that is, the timed samples) count:
 * the engine verifies once between warm-up and timing. */
#ifndef AIB_GPU_COMMON_H
#define AIB_GPU_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "workload.h"

struct aib_devtime {
    double *v; /* seconds per iteration, one per timed run() */
    size_t n, cap;
    bool timing;
};
/* Records one run(): `seconds` for `iters` iterations (ignored before timing starts). */
int aib_devtime_add(struct aib_devtime *t, double seconds, uint64_t iters, struct aib_err *err);
/* Called from verify(): the first call starts the timed part. */
void aib_devtime_verified(struct aib_devtime *t);
/* Adds device_time and device_throughput (work per iteration: flops if
 * > 0, else bytes) to r; `how` goes into their note. */
int aib_devtime_metrics(const struct aib_devtime *t, const struct aib_work *work, const char *how,
                        struct aib_result *r, struct aib_err *err);
void aib_devtime_free(struct aib_devtime *t);

/* One reference dot product in double and its rounding-error allowance:
 *   allowed = 2 u_out |sum| + u_lin sum|S_i|
 * (S_i the partial sums: a worst-case bound for accumulating in a type with
 * unit roundoff u_lin/2, plus rounding the result to the output type). */
struct aib_refdot {
    double sum, s1;
};
void aib_refdot_add(struct aib_refdot *d, double term);
double aib_refdot_allowed(const struct aib_refdot *d, double u_lin, double u_out);

/* The t-th element to check of n: the first (t = 0), the last (t = 1),
 * then uniform picks from *seed (xorshift64*), so checks that sample a few
 * elements always cover both ends. */
size_t aib_gpu_sample_index(uint64_t *seed, size_t t, size_t n);

/* IEEE half <-> float (round to nearest even), for fp16 host data. */
uint16_t aib_half_from_float(float f);
float aib_half_to_float(uint16_t h);

/* "4 KiB", "1.5 GiB": for messages. */
void aib_gpu_fmt_bytes(double bytes, char *buf, size_t len);

#endif
