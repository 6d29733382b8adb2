/* Direct convolution (no column buffer) on the pinned team: NCHW splits the
 * N*K output planes over the threads and accumulates each filter tap over
 * a whole plane (unit stride along q when stride is 1); NHWC splits the
 * N*P output rows and accumulates, per pixel, over the filters of a group
 * (unit stride along k). The loops are compiled once per SIMD path with
 * target attributes and picked at run time. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include <string.h>

#include "conv_cpu.h"

#define DEFINE_DIRECT(SFX, ATTR)                                                               \
    ATTR static void nchw_plane_##SFX(const struct aib_conv_direct *d, int64_t n, int64_t k)   \
    {                                                                                          \
        const struct aib_conv_geom *g = d->g;                                                  \
        const int64_t H = g->h, W = g->w, P = g->p, Q = g->q, st = g->stride;                  \
        const int64_t grp = k / g->kg;                                                         \
        float *restrict o = d->out + (n * g->k + k) * P * Q;                                   \
        memset(o, 0, (size_t)(P * Q) * sizeof *o);                                             \
        for (int64_t c = 0; c < g->cg; c++) {                                                  \
            const float *plane = d->in + (n * g->c + grp * g->cg + c) * H * W;                 \
            for (int64_t r = 0; r < g->r; r++) {                                               \
                for (int64_t s = 0; s < g->s; s++) {                                           \
                    const float wv = d->wt[((k * g->cg + c) * g->r + r) * g->s + s];           \
                    const int64_t off = s * g->dil - g->pad;                                   \
                    int64_t qlo, qhi;                                                          \
                    aib_conv_valid_q(g, s * g->dil, &qlo, &qhi);                               \
                    for (int64_t p = 0; p < P; p++) {                                          \
                        const int64_t h = p * st - g->pad + r * g->dil;                        \
                        if (h < 0 || h >= H)                                                   \
                            continue;                                                          \
                        float *restrict orow = o + p * Q;                                      \
                        const float *restrict irow = plane + h * W;                            \
                        if (st == 1)                                                           \
                            for (int64_t q = qlo; q < qhi; q++)                                \
                                orow[q] += wv * irow[q + off];                                 \
                        else                                                                   \
                            for (int64_t q = qlo; q < qhi; q++)                                \
                                orow[q] += wv * irow[q * st + off];                            \
                    }                                                                          \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    ATTR static void nhwc_row_##SFX(const struct aib_conv_direct *d, int64_t n, int64_t p)     \
    {                                                                                          \
        const struct aib_conv_geom *g = d->g;                                                  \
        const int64_t H = g->h, W = g->w, kg = g->kg, cg = g->cg;                              \
        for (int64_t q = 0; q < g->q; q++) {                                                   \
            float *px = d->out + ((n * g->p + p) * g->q + q) * g->k;                           \
            memset(px, 0, (size_t)g->k * sizeof *px);                                          \
            for (int64_t grp = 0; grp < g->groups; grp++) {                                    \
                float *restrict o = px + grp * kg;                                             \
                for (int64_t r = 0; r < g->r; r++) {                                           \
                    const int64_t h = p * g->stride - g->pad + r * g->dil;                     \
                    if (h < 0 || h >= H)                                                       \
                        continue;                                                              \
                    for (int64_t s = 0; s < g->s; s++) {                                       \
                        const int64_t w = q * g->stride - g->pad + s * g->dil;                 \
                        if (w < 0 || w >= W)                                                   \
                            continue;                                                          \
                        const float *x = d->in + ((n * H + h) * W + w) * g->c + grp * cg;      \
                        const float *wp = d->wt + ((grp * g->r + r) * g->s + s) * cg * kg;     \
                        for (int64_t c = 0; c < cg; c++) {                                     \
                            const float xv = x[c];                                             \
                            const float *restrict wrow = wp + c * kg;                          \
                            for (int64_t kk = 0; kk < kg; kk++)                                \
                                o[kk] += xv * wrow[kk];                                        \
                        }                                                                      \
                    }                                                                          \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }

DEFINE_DIRECT(portable, )
#if defined(__x86_64__)
DEFINE_DIRECT(avx2, __attribute__((target("avx2,fma"))))
DEFINE_DIRECT(avx512, __attribute__((target("avx512f"))))
#endif

void aib_conv_direct_pack(const struct aib_conv_geom *g, const float *krsc, float *packed)
{
    for (int64_t k = 0; k < g->k; k++) {
        int64_t grp = k / g->kg, kk = k % g->kg;
        for (int64_t r = 0; r < g->r; r++)
            for (int64_t s = 0; s < g->s; s++)
                for (int64_t c = 0; c < g->cg; c++)
                    packed[(((grp * g->r + r) * g->s + s) * g->cg + c) * g->kg + kk] =
                        krsc[((k * g->r + r) * g->s + s) * g->cg + c];
    }
}

static void direct_job(void *ctx, unsigned tid, unsigned nt)
{
    const struct aib_conv_direct *d = ctx;
    const struct aib_conv_geom *g = d->g;
    int64_t per = g->nhwc ? g->p : g->k, items = g->n * per;
    int64_t lo = items * tid / nt, hi = items * (tid + 1) / nt;
    for (int64_t i = lo; i < hi; i++) {
        int64_t n = i / per, x = i % per;
        switch (d->simd) {
#if defined(__x86_64__)
        case AIB_SIMD_AVX512:
            g->nhwc ? nhwc_row_avx512(d, n, x) : nchw_plane_avx512(d, n, x);
            break;
        case AIB_SIMD_AVX2:
            g->nhwc ? nhwc_row_avx2(d, n, x) : nchw_plane_avx2(d, n, x);
            break;
#endif
        default:
            g->nhwc ? nhwc_row_portable(d, n, x) : nchw_plane_portable(d, n, x);
            break;
        }
    }
}

void aib_conv_direct_run(struct aib_cpu_team *team, const struct aib_conv_direct *d)
{
    aib_cpu_team_run(team, direct_job, (void *)d);
}
