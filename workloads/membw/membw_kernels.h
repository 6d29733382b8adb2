/* STREAM's four kernels over [lo, hi) of double arrays, one function per
 * SIMD path (compiled with per-function target attributes, chosen at run
 * time). s is the scale factor. Streaming stores bypass the caches (and
 * skip the read-for-ownership a normal store costs); they need a SIMD path. */
#ifndef AIB_MEMBW_KERNELS_H
#define AIB_MEMBW_KERNELS_H

#include <stddef.h>

#include "../cpu_threads.h"

enum aib_stream_kernel { AIB_STREAM_COPY, AIB_STREAM_SCALE, AIB_STREAM_ADD, AIB_STREAM_TRIAD };

/* a, b, c are the three arrays; lo must be a multiple of 8 and each array
 * 64-byte aligned. copy: c = a; scale: b = s*c; add: c = a + b;
 * triad: a = b + s*c (STREAM's definitions). */
typedef void (*aib_stream_fn)(double *a, double *b, double *c, double s, size_t lo, size_t hi);

/* NULL when the path has no such kernel (streaming stores on portable). */
aib_stream_fn aib_stream_kernel_get(enum aib_stream_kernel k, enum aib_simd simd, int streaming);

#endif
