/* The FMA chains of the `peak` workload, one function per precision and
 * SIMD path (per-function target attributes, chosen at run time). */
#ifndef AIB_PEAK_KERNELS_H
#define AIB_PEAK_KERNELS_H

#include <stdint.h>

#include "../cpu_threads.h"

/* Independent chains per thread: enough to keep two FMA pipes of latency
 * 4 to 6 cycles busy (each chain waits for its own previous result). */
#define AIB_PEAK_CHAINS 12

/* `rounds` times: load the AIB_PEAK_CHAINS x lanes values of x0, apply
 * x = x * a + b `steps` times to each (a fused multiply-add on the SIMD
 * paths; a multiply and an add, 2 flops too, on the portable one), store
 * them to out. Values are float or double by the kernel's precision; out
 * and x0 may alias (so no round can be skipped as a repeat of the last). */
typedef void (*aib_peak_fn)(void *out, const void *x0, double a, double b, uint64_t rounds,
                            unsigned steps);

/* The kernel for a path and precision, with its lanes per chain; NULL when
 * the path does not exist here (non-x86). */
aib_peak_fn aib_peak_kernel(enum aib_simd simd, int fp64, unsigned *lanes);

#endif
