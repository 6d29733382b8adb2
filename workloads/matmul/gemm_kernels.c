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

/* ROWS12(X, ...) expands X(i, ...) for the 12 (or 6) rows of a tile. */
#define ROWS6(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define ROWS12(X) ROWS6(X) X(6) X(7) X(8) X(9) X(10) X(11)

/* Two vectors of C per row: NR = 2 * lanes. T is the C element type, V the
 * vector type, PRE the intrinsic prefix, SFX its type suffix. */
/* The accumulators of row i, and a prefetch of its C row for the end. */
#define ACC_DECL(i)                                                                   \
    V c##i##0 = ZERO(), c##i##1 = ZERO();                                             \
    _mm_prefetch((const char *)(c + (size_t)(i) * ldc), _MM_HINT_T0);                 \
    _mm_prefetch((const char *)(c + (size_t)(i) * ldc + 2 * LANES - 1), _MM_HINT_T0);
#define ACC_STORE(i)                                                                  \
    {                                                                                 \
        T *ci = c + (size_t)(i) * ldc;                                                \
        if (accumulate) {                                                             \
            c##i##0 = ADD(c##i##0, LOADU(ci));                                        \
            c##i##1 = ADD(c##i##1, LOADU(ci + LANES));                                \
        }                                                                             \
        STOREU(ci, c##i##0);                                                          \
        STOREU(ci + LANES, c##i##1);                                                  \
    }

/* ---- AVX-512 fp32: 12 x 32 ------------------------------------------- */
#define T float
#define V __m512
#define LANES 16
#define ZERO _mm512_setzero_ps
#define LOADU _mm512_loadu_ps
#define STOREU _mm512_storeu_ps
#define ADD _mm512_add_ps
#define FMA_ROW(i)                                                                    \
    {                                                                                 \
        V a = _mm512_set1_ps(ap[i]);                                                  \
        c##i##0 = _mm512_fmadd_ps(a, b0, c##i##0);                                    \
        c##i##1 = _mm512_fmadd_ps(a, b1, c##i##1);                                    \
    }
__attribute__((target("avx512f"))) static void ukr_f32_avx512(size_t kc, const void *ap_,
                                                              const void *bp_, void *c_,
                                                              size_t ldc, int accumulate)
{
    const float *ap = ap_, *bp = bp_;
    float *c = c_;
    ROWS12(ACC_DECL)
    for (size_t p = 0; p < kc; p++) {
        V b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
        ROWS12(FMA_ROW)
        ap += 12;
        bp += 32;
    }
    ROWS12(ACC_STORE)
}
#undef FMA_ROW
#undef T
#undef V
#undef LANES
#undef ZERO
#undef LOADU
#undef STOREU
#undef ADD

/* ---- AVX-512 fp64: 12 x 16 ------------------------------------------- */
#define T double
#define V __m512d
#define LANES 8
#define ZERO _mm512_setzero_pd
#define LOADU _mm512_loadu_pd
#define STOREU _mm512_storeu_pd
#define ADD _mm512_add_pd
#define FMA_ROW(i)                                                                    \
    {                                                                                 \
        V a = _mm512_set1_pd(ap[i]);                                                  \
        c##i##0 = _mm512_fmadd_pd(a, b0, c##i##0);                                    \
        c##i##1 = _mm512_fmadd_pd(a, b1, c##i##1);                                    \
    }
__attribute__((target("avx512f"))) static void ukr_f64_avx512(size_t kc, const void *ap_,
                                                              const void *bp_, void *c_,
                                                              size_t ldc, int accumulate)
{
    const double *ap = ap_, *bp = bp_;
    double *c = c_;
    ROWS12(ACC_DECL)
    for (size_t p = 0; p < kc; p++) {
        V b0 = _mm512_load_pd(bp), b1 = _mm512_load_pd(bp + 8);
        ROWS12(FMA_ROW)
        ap += 12;
        bp += 16;
    }
    ROWS12(ACC_STORE)
}
#undef FMA_ROW
#undef T
#undef V
#undef LANES
#undef ZERO
#undef LOADU
#undef STOREU
#undef ADD

/* ---- AVX-512 BF16: 12 x 32, fp32 accumulate --------------------------
 * vdpbf16ps adds a[2p]*b[2p] + a[2p+1]*b[2p+1] into each fp32 lane: the
 * packed slivers interleave pairs of consecutive k, so one 32-bit
 * broadcast carries a row's pair and one vector 16 columns' pairs. */
#define T float
#define V __m512
#define LANES 16
#define ZERO _mm512_setzero_ps
#define LOADU _mm512_loadu_ps
#define STOREU _mm512_storeu_ps
#define ADD _mm512_add_ps
#define FMA_ROW(i)                                                                    \
    {                                                                                 \
        uint32_t pair;                                                                \
        memcpy(&pair, ap + 2 * (i), sizeof pair);                                     \
        __m512bh a = (__m512bh)_mm512_set1_epi32((int)pair);                          \
        c##i##0 = _mm512_dpbf16_ps(c##i##0, a, b0);                                   \
        c##i##1 = _mm512_dpbf16_ps(c##i##1, a, b1);                                   \
    }
__attribute__((target("avx512f,avx512bf16"))) static void
ukr_bf16_avx512(size_t kc, const void *ap_, const void *bp_, void *c_, size_t ldc, int accumulate)
{
    const uint16_t *ap = ap_, *bp = bp_;
    float *c = c_;
    ROWS12(ACC_DECL)
    for (size_t p = 0; p < kc; p += 2) {
        __m512bh b0 = (__m512bh)_mm512_load_si512(bp);
        __m512bh b1 = (__m512bh)_mm512_load_si512(bp + 32);
        ROWS12(FMA_ROW)
        ap += 24;
        bp += 64;
    }
    ROWS12(ACC_STORE)
}
#undef FMA_ROW
#undef T
#undef V
#undef LANES
#undef ZERO
#undef LOADU
#undef STOREU
#undef ADD

/* ---- AVX2 + FMA fp32: 6 x 16 ----------------------------------------- */
#define T float
#define V __m256
#define LANES 8
#define ZERO _mm256_setzero_ps
#define LOADU _mm256_loadu_ps
#define STOREU _mm256_storeu_ps
#define ADD _mm256_add_ps
#define FMA_ROW(i)                                                                    \
    {                                                                                 \
        V a = _mm256_broadcast_ss(ap + (i));                                          \
        c##i##0 = _mm256_fmadd_ps(a, b0, c##i##0);                                    \
        c##i##1 = _mm256_fmadd_ps(a, b1, c##i##1);                                    \
    }
__attribute__((target("avx2,fma"))) static void ukr_f32_avx2(size_t kc, const void *ap_,
                                                             const void *bp_, void *c_,
                                                             size_t ldc, int accumulate)
{
    const float *ap = ap_, *bp = bp_;
    float *c = c_;
    ROWS6(ACC_DECL)
    for (size_t p = 0; p < kc; p++) {
        V b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
        ROWS6(FMA_ROW)
        ap += 6;
        bp += 16;
    }
    ROWS6(ACC_STORE)
}
#undef FMA_ROW
#undef T
#undef V
#undef LANES
#undef ZERO
#undef LOADU
#undef STOREU
#undef ADD

/* ---- AVX2 + FMA fp64: 6 x 8 ------------------------------------------ */
#define T double
#define V __m256d
#define LANES 4
#define ZERO _mm256_setzero_pd
#define LOADU _mm256_loadu_pd
#define STOREU _mm256_storeu_pd
#define ADD _mm256_add_pd
#define FMA_ROW(i)                                                                    \
    {                                                                                 \
        V a = _mm256_broadcast_sd(ap + (i));                                          \
        c##i##0 = _mm256_fmadd_pd(a, b0, c##i##0);                                    \
        c##i##1 = _mm256_fmadd_pd(a, b1, c##i##1);                                    \
    }
__attribute__((target("avx2,fma"))) static void ukr_f64_avx2(size_t kc, const void *ap_,
                                                             const void *bp_, void *c_,
                                                             size_t ldc, int accumulate)
{
    const double *ap = ap_, *bp = bp_;
    double *c = c_;
    ROWS6(ACC_DECL)
    for (size_t p = 0; p < kc; p++) {
        V b0 = _mm256_load_pd(bp), b1 = _mm256_load_pd(bp + 4);
        ROWS6(FMA_ROW)
        ap += 6;
        bp += 8;
    }
    ROWS6(ACC_STORE)
}
#undef FMA_ROW
#undef T
#undef V
#undef LANES
#undef ZERO
#undef LOADU
#undef STOREU
#undef ADD
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
