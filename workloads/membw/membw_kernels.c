/* STREAM kernels per SIMD path; see membw_kernels.h. The loop bodies are
 * written once as macros and instantiated per instruction set, so each
 * variant differs only in its vector width and store instruction. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include "membw_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Portable: plain loops, vectorised by the compiler for the baseline ISA. */
static void copy_portable(double *a, double *b, double *c, double s, size_t lo, size_t hi)
{
    (void)b;
    (void)s;
    for (size_t i = lo; i < hi; i++)
        c[i] = a[i];
}
static void scale_portable(double *a, double *b, double *c, double s, size_t lo, size_t hi)
{
    (void)a;
    for (size_t i = lo; i < hi; i++)
        b[i] = s * c[i];
}
static void add_portable(double *a, double *b, double *c, double s, size_t lo, size_t hi)
{
    (void)s;
    for (size_t i = lo; i < hi; i++)
        c[i] = a[i] + b[i];
}
static void triad_portable(double *a, double *b, double *c, double s, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++)
        a[i] = b[i] + s * c[i];
}

#if defined(__x86_64__)
/* One kernel: OUT[i] = EXPR over vectors of W doubles, unrolled by 4, then
 * a scalar tail. LD/ST/SET1/ADD/MUL/FMA are the path's intrinsics. */
#define STREAM_FN(NAME, TGT, V, W, LD, ST, SET1, ADDV, MULV, FMAV, FENCE, OUT, VEXPR, SEXPR)   \
    __attribute__((target(TGT))) static void NAME(double *a, double *b, double *c, double s,   \
                                                  size_t lo, size_t hi)                        \
    {                                                                                          \
        (void)a;                                                                               \
        (void)b;                                                                               \
        (void)c;                                                                               \
        const V vs = SET1(s);                                                                  \
        (void)vs;                                                                              \
        size_t i = lo;                                                                         \
        for (; i + 4 * W <= hi; i += 4 * W) {                                                  \
            V r0, r1, r2, r3;                                                                  \
            size_t j = i;                                                                      \
            r0 = VEXPR;                                                                        \
            j = i + W;                                                                         \
            r1 = VEXPR;                                                                        \
            j = i + 2 * W;                                                                     \
            r2 = VEXPR;                                                                        \
            j = i + 3 * W;                                                                     \
            r3 = VEXPR;                                                                        \
            ST(OUT + i, r0);                                                                   \
            ST(OUT + i + W, r1);                                                               \
            ST(OUT + i + 2 * W, r2);                                                           \
            ST(OUT + i + 3 * W, r3);                                                           \
        }                                                                                      \
        for (; i < hi; i++) {                                                                  \
            size_t j = i;                                                                      \
            OUT[i] = SEXPR;                                                                    \
        }                                                                                      \
        FENCE;                                                                                 \
    }

/* The four STREAM kernels for one (target, vector type, store) combination. */
#define STREAM_SET(SFX, TGT, V, W, LD, ST, SET1, ADDV, MULV, FMAV, FENCE)                      \
    STREAM_FN(copy_##SFX, TGT, V, W, LD, ST, SET1, ADDV, MULV, FMAV, FENCE, c, LD(a + j), a[j]) \
    STREAM_FN(scale_##SFX, TGT, V, W, LD, ST, SET1, ADDV, MULV, FMAV, FENCE, b,                \
              MULV(vs, LD(c + j)), s * c[j])                                                   \
    STREAM_FN(add_##SFX, TGT, V, W, LD, ST, SET1, ADDV, MULV, FMAV, FENCE, c,                  \
              ADDV(LD(a + j), LD(b + j)), a[j] + b[j])                                         \
    STREAM_FN(triad_##SFX, TGT, V, W, LD, ST, SET1, ADDV, MULV, FMAV, FENCE, a,                \
              FMAV(vs, LD(c + j), LD(b + j)), b[j] + s * c[j])

#define NOFENCE ((void)0)
STREAM_SET(avx512, "avx512f", __m512d, 8, _mm512_load_pd, _mm512_store_pd, _mm512_set1_pd,
           _mm512_add_pd, _mm512_mul_pd, _mm512_fmadd_pd, NOFENCE)
STREAM_SET(avx512_nt, "avx512f", __m512d, 8, _mm512_load_pd, _mm512_stream_pd, _mm512_set1_pd,
           _mm512_add_pd, _mm512_mul_pd, _mm512_fmadd_pd, _mm_sfence())
STREAM_SET(avx2, "avx2,fma", __m256d, 4, _mm256_load_pd, _mm256_store_pd, _mm256_set1_pd,
           _mm256_add_pd, _mm256_mul_pd, _mm256_fmadd_pd, NOFENCE)
STREAM_SET(avx2_nt, "avx2,fma", __m256d, 4, _mm256_load_pd, _mm256_stream_pd, _mm256_set1_pd,
           _mm256_add_pd, _mm256_mul_pd, _mm256_fmadd_pd, _mm_sfence())
#endif

aib_stream_fn aib_stream_kernel_get(enum aib_stream_kernel k, enum aib_simd simd, int streaming)
{
    static const aib_stream_fn portable[] = {copy_portable, scale_portable, add_portable,
                                             triad_portable};
#if defined(__x86_64__)
    static const aib_stream_fn tab[2][2][4] = {
        {{copy_avx2, scale_avx2, add_avx2, triad_avx2},
         {copy_avx2_nt, scale_avx2_nt, add_avx2_nt, triad_avx2_nt}},
        {{copy_avx512, scale_avx512, add_avx512, triad_avx512},
         {copy_avx512_nt, scale_avx512_nt, add_avx512_nt, triad_avx512_nt}},
    };
    if (simd == AIB_SIMD_AVX2 || simd == AIB_SIMD_AVX512)
        return tab[simd == AIB_SIMD_AVX512][streaming != 0][k];
#endif
    return streaming ? NULL : portable[k];
}
