/* GEMM micro-kernels, one per (SIMD path, precision). Each x86 kernel has
 * its own target attribute, so only the function, not the whole binary,
 * needs the instruction set; gemm_native picks one at run time after
 * checking the CPU. Accumulators are named variables (one per register) so
 * the compiler keeps them in registers: MR*NR/lanes of them plus the B
 * vectors and one broadcast fit in the 32 zmm / 16 ymm registers. */
#if defined(__GNUC__) && !defined(__clang__)
/* Register allocation of the kernels must not depend on the build's -O
 * level (the sanitizer build uses -O1). */
#pragma GCC optimize("O3")
#endif

#include <stdint.h>
#include <string.h>

#include "gemm_native.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* ROWS12(X, O) expands X(i, O) for the 12 (or 6) rows of a tile. */
#define ROWS6(X, O) X(0, O) X(1, O) X(2, O) X(3, O) X(4, O) X(5, O)
#define ROWS12(X, O) ROWS6(X, O) X(6, O) X(7, O) X(8, O) X(9, O) X(10, O) X(11, O)

/* One op set per (vector width, element type), named O below: O_T is the C
 * element type, O_AB the packed A/B element type, O_V the accumulator
 * vector, O_BV a B vector, O_KSTEP the k values one step consumes (2 for
 * bf16 pairs), O_BCAST(p) the A broadcast of row data at p, O_FMA(c, a, b)
 * c + a * b. Every kernel has two vectors of C per row: NR = 2 * lanes. */
#define F32X16_T float
#define F32X16_AB float
#define F32X16_V __m512
#define F32X16_BV __m512
#define F32X16_LANES 16
#define F32X16_KSTEP 1
#define F32X16_ZERO _mm512_setzero_ps
#define F32X16_LOADU _mm512_loadu_ps
#define F32X16_STOREU _mm512_storeu_ps
#define F32X16_ADD _mm512_add_ps
#define F32X16_LOADB _mm512_load_ps
#define F32X16_BCAST(p) _mm512_set1_ps(*(p))
#define F32X16_FMA(c, a, b) _mm512_fmadd_ps(a, b, c)

#define F64X8_T double
#define F64X8_AB double
#define F64X8_V __m512d
#define F64X8_BV __m512d
#define F64X8_LANES 8
#define F64X8_KSTEP 1
#define F64X8_ZERO _mm512_setzero_pd
#define F64X8_LOADU _mm512_loadu_pd
#define F64X8_STOREU _mm512_storeu_pd
#define F64X8_ADD _mm512_add_pd
#define F64X8_LOADB _mm512_load_pd
#define F64X8_BCAST(p) _mm512_set1_pd(*(p))
#define F64X8_FMA(c, a, b) _mm512_fmadd_pd(a, b, c)

/* vdpbf16ps adds a[2p]*b[2p] + a[2p+1]*b[2p+1] into each fp32 lane: the
 * packed slivers interleave pairs of consecutive k, so one 32-bit
 * broadcast carries a row's pair and one vector 16 columns' pairs. */
#define BF16X16_T float
#define BF16X16_AB uint16_t
#define BF16X16_V __m512
#define BF16X16_BV __m512bh
#define BF16X16_LANES 16
#define BF16X16_KSTEP 2
#define BF16X16_ZERO _mm512_setzero_ps
#define BF16X16_LOADU _mm512_loadu_ps
#define BF16X16_STOREU _mm512_storeu_ps
#define BF16X16_ADD _mm512_add_ps
#define BF16X16_LOADB(p) ((__m512bh)_mm512_load_si512(p))
#define BF16X16_BCAST(p) ((__m512bh)_mm512_set1_epi32((int)bf16_pair(p)))
#define BF16X16_FMA(c, a, b) _mm512_dpbf16_ps(c, a, b)

#define F32X8_T float
#define F32X8_AB float
#define F32X8_V __m256
#define F32X8_BV __m256
#define F32X8_LANES 8
#define F32X8_KSTEP 1
#define F32X8_ZERO _mm256_setzero_ps
#define F32X8_LOADU _mm256_loadu_ps
#define F32X8_STOREU _mm256_storeu_ps
#define F32X8_ADD _mm256_add_ps
#define F32X8_LOADB _mm256_load_ps
#define F32X8_BCAST(p) _mm256_broadcast_ss(p)
#define F32X8_FMA(c, a, b) _mm256_fmadd_ps(a, b, c)

#define F64X4_T double
#define F64X4_AB double
#define F64X4_V __m256d
#define F64X4_BV __m256d
#define F64X4_LANES 4
#define F64X4_KSTEP 1
#define F64X4_ZERO _mm256_setzero_pd
#define F64X4_LOADU _mm256_loadu_pd
#define F64X4_STOREU _mm256_storeu_pd
#define F64X4_ADD _mm256_add_pd
#define F64X4_LOADB _mm256_load_pd
#define F64X4_BCAST(p) _mm256_broadcast_sd(p)
#define F64X4_FMA(c, a, b) _mm256_fmadd_pd(a, b, c)

/* A row's pair of bf16 values as one 32-bit word (memcpy: no aliasing). */
static inline uint32_t bf16_pair(const uint16_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The accumulators of row i, and a prefetch of its C row for the end. */
#define ACC_DECL(i, O)                                                                \
    O##_V c##i##0 = O##_ZERO(), c##i##1 = O##_ZERO();                                 \
    _mm_prefetch((const char *)(c + (size_t)(i) * ldc), _MM_HINT_T0);                 \
    _mm_prefetch((const char *)(c + (size_t)(i) * ldc + 2 * O##_LANES - 1), _MM_HINT_T0);
#define FMA_ROW(i, O)                                                                 \
    {                                                                                 \
        const O##_BV a = O##_BCAST(ap + O##_KSTEP * (i));                             \
        c##i##0 = O##_FMA(c##i##0, a, b0);                                            \
        c##i##1 = O##_FMA(c##i##1, a, b1);                                            \
    }
#define ACC_STORE(i, O)                                                               \
    {                                                                                 \
        O##_T *ci = c + (size_t)(i) * ldc;                                            \
        if (accumulate) {                                                             \
            c##i##0 = O##_ADD(c##i##0, O##_LOADU(ci));                                \
            c##i##1 = O##_ADD(c##i##1, O##_LOADU(ci + O##_LANES));                    \
        }                                                                             \
        O##_STOREU(ci, c##i##0);                                                      \
        O##_STOREU(ci + O##_LANES, c##i##1);                                          \
    }

/* The one micro-kernel, MR x (2 * lanes) with op set O, compiled for
 * TARGET. Accumulators are named variables (one per register). */
#define DEFINE_UKR(NAME, TARGET, O, MR)                                               \
    __attribute__((target(TARGET))) static void NAME(size_t kc, const void *ap_,     \
                                                     const void *bp_, void *c_,      \
                                                     size_t ldc, int accumulate)     \
    {                                                                                 \
        const O##_AB *ap = ap_, *bp = bp_;                                            \
        O##_T *c = c_;                                                                \
        ROWS##MR(ACC_DECL, O)                                                         \
        for (size_t p = 0; p < kc; p += O##_KSTEP) {                                  \
            const O##_BV b0 = O##_LOADB(bp);                                          \
            const O##_BV b1 = O##_LOADB(bp + O##_KSTEP * O##_LANES);                  \
            ROWS##MR(FMA_ROW, O)                                                      \
            ap += MR * O##_KSTEP;                                                     \
            bp += 2 * O##_KSTEP * O##_LANES;                                          \
        }                                                                             \
        ROWS##MR(ACC_STORE, O)                                                        \
    }

DEFINE_UKR(ukr_f32_avx512, "avx512f", F32X16, 12)             /* 12 x 32 */
DEFINE_UKR(ukr_f64_avx512, "avx512f", F64X8, 12)              /* 12 x 16 */
DEFINE_UKR(ukr_bf16_avx512, "avx512f,avx512bf16", BF16X16, 12) /* 12 x 32, fp32 C */
DEFINE_UKR(ukr_f32_avx2, "avx2,fma", F32X8, 6)                /* 6 x 16 */
DEFINE_UKR(ukr_f64_avx2, "avx2,fma", F64X4, 6)                /* 6 x 8 */
#endif /* __x86_64__ */

/* ---- portable C: 4 x 8 (fp32) / 4 x 4 (fp64) --------------------------
 * The compiler vectorises the j loops for the baseline ISA. */
#define DEFINE_PORTABLE(NAME, T, MR, NR)                                              \
    static void NAME(size_t kc, const void *ap_, const void *bp_, void *c_, size_t ldc, \
                     int accumulate)                                                  \
    {                                                                                 \
        const T *ap = ap_, *bp = bp_;                                                 \
        T *c = c_;                                                                    \
        T acc[MR][NR] = {{0}};                                                        \
        for (size_t p = 0; p < kc; p++, ap += MR, bp += NR)                           \
            for (int i = 0; i < MR; i++)                                              \
                for (int j = 0; j < NR; j++)                                          \
                    acc[i][j] += ap[i] * bp[j];                                       \
        for (int i = 0; i < MR; i++)                                                  \
            for (int j = 0; j < NR; j++)                                              \
                c[(size_t)i * ldc + j] = accumulate ? c[(size_t)i * ldc + j] + acc[i][j] \
                                                    : acc[i][j];                      \
    }
DEFINE_PORTABLE(ukr_f32_portable, float, 4, 8)
DEFINE_PORTABLE(ukr_f64_portable, double, 4, 4)

static const struct aib_gemm_kernel kernels[] = {
#if defined(__x86_64__)
    {AIB_SIMD_AVX512, AIB_GEMM_FP32, 12, 32, 1, ukr_f32_avx512},
    {AIB_SIMD_AVX512, AIB_GEMM_FP64, 12, 16, 1, ukr_f64_avx512},
    {AIB_SIMD_AVX512, AIB_GEMM_BF16, 12, 32, 2, ukr_bf16_avx512},
    {AIB_SIMD_AVX2, AIB_GEMM_FP32, 6, 16, 1, ukr_f32_avx2},
    {AIB_SIMD_AVX2, AIB_GEMM_FP64, 6, 8, 1, ukr_f64_avx2},
#endif
    {AIB_SIMD_PORTABLE, AIB_GEMM_FP32, 4, 8, 1, ukr_f32_portable},
    {AIB_SIMD_PORTABLE, AIB_GEMM_FP64, 4, 4, 1, ukr_f64_portable},
};

const struct aib_gemm_kernel *aib_gemm_kernel_find(enum aib_simd simd, enum aib_gemm_prec prec)
{
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (kernels[i].simd == simd && kernels[i].prec == prec)
            return &kernels[i];
    return NULL;
}
