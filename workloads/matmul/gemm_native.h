/* aibench's own GEMM for the CPU: C = op(A) * op(B), row-major, in the
 * Goto/BLIS structure (pack a k-panel of A and an L2-sized block of B,
 * then run a register micro-kernel over MR x NR tiles of C), on a pinned
 * thread team. The micro-kernel's SIMD path (AVX-512, AVX2+FMA, portable
 * C) is chosen at run time; kernels are compiled with per-function target
 * attributes, so the binary runs on any x86-64. */
#ifndef AIB_GEMM_NATIVE_H
#define AIB_GEMM_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#include "../../bench/err.h"
#include "../cpu_threads.h"

/* Element types: fp32 and fp64 compute in their own type; bf16 takes
 * bf16 A and B (uint16_t bit patterns) and accumulates into fp32 C. */
enum aib_gemm_prec { AIB_GEMM_FP32, AIB_GEMM_FP64, AIB_GEMM_BF16 };

struct aib_gemm_desc {
    enum aib_gemm_prec prec;
    int transa, transb; /* op(A) = A^T when set: A is stored k x m */
    size_t m, n, k;
    const void *a, *b;
    void *c;
    size_t lda, ldb, ldc; /* leading dimensions in elements */
};

/* One micro-kernel: it computes an MR x NR tile from a packed MR x kc
 * sliver of A and a packed kc x NR sliver of B and stores it into C (or
 * adds it to C when `accumulate`). kstep is 2 for bf16, whose slivers hold
 * pairs of consecutive k (kc is then even). */
struct aib_gemm_kernel {
    enum aib_simd simd;
    enum aib_gemm_prec prec;
    unsigned mr, nr, kstep;
    void (*ukr)(size_t kc, const void *ap, const void *bp, void *c, size_t ldc, int accumulate);
};

/* The kernel for a path and precision, or NULL (bf16 exists on avx512 only;
 * the caller checks the CPU can run the path). */
const struct aib_gemm_kernel *aib_gemm_kernel_find(enum aib_simd simd, enum aib_gemm_prec prec);

/* Cache blocking: the k slice, the rows of an A block, the columns of a B
 * panel, from the per-core L1d and L2 sizes (0: 32 KiB and 512 KiB). */
struct aib_gemm_blocking {
    size_t kc, mc, nc;
};
void aib_gemm_blocking_plan(const struct aib_gemm_kernel *kr, size_t m, size_t n, size_t k,
                            size_t l1d, size_t l2, struct aib_gemm_blocking *out);

struct aib_gemm_native;

/* Allocates the packing buffers for `d` (the matrices are the caller's and
 * must outlive the plan); the team runs it and must outlive it too. l1d
 * and l2 are the per-core cache sizes the blocking is planned for. */
int aib_gemm_native_create(const struct aib_gemm_desc *d, const struct aib_gemm_kernel *kr,
                           struct aib_cpu_team *team, size_t l1d, size_t l2,
                           struct aib_gemm_native **out, struct aib_err *err);
/* Bytes of packing buffers create() will allocate. */
size_t aib_gemm_native_buffer_bytes(const struct aib_gemm_kernel *kr, size_t m, size_t n, size_t k,
                                    unsigned nthreads, size_t l1d, size_t l2);
/* Computes the product `iters` times on the team (no allocation). */
void aib_gemm_native_run(struct aib_gemm_native *g, uint64_t iters);
void aib_gemm_native_destroy(struct aib_gemm_native *g);

#endif
