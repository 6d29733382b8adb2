/* FMA chains per SIMD path (peak_kernels.h). Each chain lives in a register
 * for the whole round: the loops over chains are unrolled completely, so the
 * arrays of vectors become registers and the inner loop is nothing but
 * AIB_PEAK_CHAINS independent FMAs and a branch. */
#include "peak_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define C AIB_PEAK_CHAINS

/* Portable: plain C for the baseline ISA (the compiler may pack chains
 * into SSE2 registers); ISO C keeps the multiply and the add separate. */
#define PEAK_PORTABLE(NAME, T)                                                                  \
    static void NAME(void *out, const void *x0, double a, double b, uint64_t rounds,            \
                     unsigned steps)                                                            \
    {                                                                                           \
        T *o = out;                                                                             \
        const T *x = x0, ta = (T)a, tb = (T)b;                                                  \
        for (uint64_t r = 0; r < rounds; r++) {                                                 \
            T c[C];                                                                             \
            _Pragma("GCC unroll 16") for (int j = 0; j < C; j++) c[j] = x[j];                   \
            for (unsigned s = 0; s < steps; s++) {                                              \
                _Pragma("GCC unroll 16") for (int j = 0; j < C; j++) c[j] = c[j] * ta + tb;     \
            }                                                                                   \
            _Pragma("GCC unroll 16") for (int j = 0; j < C; j++) o[j] = c[j];                   \
        }                                                                                       \
    }

PEAK_PORTABLE(f32_portable, float)
PEAK_PORTABLE(f64_portable, double)

#if defined(__x86_64__)
/* One SIMD kernel: V vectors of W lanes of T, SET1/LD/ST/FMA its intrinsics. */
#define PEAK_SIMD(NAME, TGT, T, V, W, SET1, LD, ST, FMA)                                        \
    __attribute__((target(TGT))) static void NAME(void *out, const void *x0, double a, double b, \
                                                  uint64_t rounds, unsigned steps)              \
    {                                                                                           \
        T *o = out;                                                                             \
        const T *x = x0;                                                                        \
        const V va = SET1((T)a), vb = SET1((T)b);                                               \
        for (uint64_t r = 0; r < rounds; r++) {                                                 \
            V c[C];                                                                             \
            _Pragma("GCC unroll 16") for (int j = 0; j < C; j++) c[j] = LD(x + W * j);          \
            for (unsigned s = 0; s < steps; s++) {                                              \
                _Pragma("GCC unroll 16") for (int j = 0; j < C; j++) c[j] = FMA(c[j], va, vb);  \
            }                                                                                   \
            _Pragma("GCC unroll 16") for (int j = 0; j < C; j++) ST(o + W * j, c[j]);           \
        }                                                                                       \
    }

PEAK_SIMD(f32_avx2, "avx2,fma", float, __m256, 8, _mm256_set1_ps, _mm256_loadu_ps,
          _mm256_storeu_ps, _mm256_fmadd_ps)
PEAK_SIMD(f64_avx2, "avx2,fma", double, __m256d, 4, _mm256_set1_pd, _mm256_loadu_pd,
          _mm256_storeu_pd, _mm256_fmadd_pd)
PEAK_SIMD(f32_avx512, "avx512f", float, __m512, 16, _mm512_set1_ps, _mm512_loadu_ps,
          _mm512_storeu_ps, _mm512_fmadd_ps)
PEAK_SIMD(f64_avx512, "avx512f", double, __m512d, 8, _mm512_set1_pd, _mm512_loadu_pd,
          _mm512_storeu_pd, _mm512_fmadd_pd)
#endif

aib_peak_fn aib_peak_kernel(enum aib_simd simd, int fp64, unsigned *lanes)
{
    unsigned bytes = fp64 ? 8 : 4;
    switch (simd) {
#if defined(__x86_64__)
    case AIB_SIMD_AVX512:
        *lanes = 64 / bytes;
        return fp64 ? f64_avx512 : f32_avx512;
    case AIB_SIMD_AVX2:
        *lanes = 32 / bytes;
        return fp64 ? f64_avx2 : f32_avx2;
#endif
    case AIB_SIMD_PORTABLE:
        *lanes = 1;
        return fp64 ? f64_portable : f32_portable;
    default:
        break;
    }
    *lanes = 0;
    return NULL;
}
