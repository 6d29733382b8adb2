/* The column buffer's geometry, and convolution as im2col + one OpenBLAS SGEMM per
 * (image, group). NCHW: col is (Cg*R*S) x (P*Q) and out = W_g * col, so
 * each output channel's plane is a row of C. NHWC: col is (P*Q) x (R*S*Cg)
 * and out = col * W_g^T, written with the row stride K into the group's
 * slice of channels. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include <cblas.h>
#include <string.h>

#include "conv_cpu.h"

double aib_conv_elems_col(const struct aib_conv_geom *g)
{
    return aib_conv_is_pointwise(g) ? 0
                                    : (double)(g->c / g->groups) * (double)g->r * (double)g->s *
                                          (double)g->p * (double)g->q;
}

int aib_conv_is_pointwise(const struct aib_conv_geom *g)
{
    return g->r == 1 && g->s == 1 && g->stride == 1 && g->pad == 0;
}

void aib_conv_valid_q(const struct aib_conv_geom *g, int64_t off, int64_t *qlo, int64_t *qhi)
{
    int64_t lo = 0, hi = g->q;
    int64_t first = off - g->pad; /* input column of q = 0 */
    if (first < 0)
        lo = (-first + g->stride - 1) / g->stride;
    int64_t last = g->w - 1 - first; /* q*stride <= last */
    hi = last < 0 ? 0 : last / g->stride + 1;
    if (hi > g->q)
        hi = g->q;
    *qlo = lo < hi ? lo : hi;
    *qhi = hi;
}

/* Stride 1 with "same" padding (Q == W): the rows of (c, r, s) are the
 * plane shifted by one offset, so one memcpy covers every valid row, and
 * the few elements that wrapped in from a neighbouring row are zeroed
 * after. One long copy instead of P short ones: the copy was a third of
 * a 3x3 layer's time with a memcpy per output row. */
static void im2col_row_same(const struct aib_conv_geom *g, const float *plane, float *row,
                            int64_t r, int64_t s)
{
    const int64_t W = g->w, P = g->p, Q = g->q;
    int64_t qlo, qhi, off = s * g->dil - g->pad, plo = 0, phi = P;
    aib_conv_valid_q(g, s * g->dil, &qlo, &qhi);
    while (plo < P && plo - g->pad + r * g->dil < 0)
        plo++;
    while (phi > plo && phi - 1 - g->pad + r * g->dil >= g->h)
        phi--;
    if (plo == phi || qlo == qhi) {
        memset(row, 0, (size_t)(P * Q) * sizeof *row);
        return;
    }
    /* dst (p, q) <- src (h = p - pad + r*dil, q + off), both with row
     * stride W: contiguous from (plo, qlo) to (phi - 1, qhi - 1) */
    const int64_t h0 = plo - g->pad + r * g->dil;
    const int64_t d0 = plo * Q + qlo, d1 = (phi - 1) * Q + qhi;
    memset(row, 0, (size_t)d0 * sizeof *row);
    memcpy(row + d0, plane + h0 * W + qlo + off, (size_t)(d1 - d0) * sizeof *row);
    memset(row + d1, 0, (size_t)(P * Q - d1) * sizeof *row);
    for (int64_t p = plo; p < phi; p++) {
        float *dst = row + p * Q;
        if (p > plo)
            memset(dst, 0, (size_t)qlo * sizeof *dst);
        if (p < phi - 1)
            memset(dst + qhi, 0, (size_t)(Q - qhi) * sizeof *dst);
    }
}

/* NCHW: row (c, r, s) of col is the input plane c shifted by (r, s): one
 * copy per row at stride 1 and "same" padding (above), a memcpy per output
 * row at other stride-1 shapes, a strided gather otherwise, which is
 * compiled once per SIMD path so the compiler can vectorise it (permutes
 * of wide loads) for the instruction set the CPU has. */
#define DEFINE_IM2COL_NCHW(SFX, ATTR)                                                          \
    ATTR static void im2col_nchw_##SFX(const struct aib_conv_geom *g, const float *in,         \
                                       float *col)                                             \
    {                                                                                          \
        const int64_t H = g->h, W = g->w, P = g->p, Q = g->q, st = g->stride;                  \
        for (int64_t x = 0; x < g->cg * g->r * g->s; x++) { /* row (c, r, s) */                \
            const int64_t c = x / (g->r * g->s), r = x / g->s % g->r, s = x % g->s;            \
            const float *plane = in + c * H * W;                                               \
            float *row = col + x * P * Q;                                                      \
            if (st == 1 && Q == W) {                                                           \
                im2col_row_same(g, plane, row, r, s);                                          \
                continue;                                                                      \
            }                                                                                  \
            int64_t qlo, qhi, off = s * g->dil - g->pad;                                       \
            aib_conv_valid_q(g, s * g->dil, &qlo, &qhi);                                       \
            for (int64_t p = 0; p < P; p++) {                                                  \
                float *restrict dst = row + p * Q;                                             \
                int64_t h = p * st - g->pad + r * g->dil;                                      \
                if (h < 0 || h >= H) {                                                         \
                    memset(dst, 0, (size_t)Q * sizeof *dst);                                   \
                    continue;                                                                  \
                }                                                                              \
                /* input column of output q is q * st + off */                                 \
                const float *restrict src = plane + h * W;                                     \
                memset(dst, 0, (size_t)qlo * sizeof *dst);                                     \
                if (st == 1 && qhi > qlo)                                                      \
                    memcpy(dst + qlo, src + qlo + off, (size_t)(qhi - qlo) * sizeof *dst);     \
                else if (st == 2)                                                              \
                    for (int64_t q = qlo; q < qhi; q++)                                        \
                        dst[q] = src[2 * q + off];                                             \
                else                                                                           \
                    for (int64_t q = qlo; q < qhi; q++)                                        \
                        dst[q] = src[q * st + off];                                            \
                memset(dst + qhi, 0, (size_t)(Q - qhi) * sizeof *dst);                         \
            }                                                                                  \
        }                                                                                      \
    }
DEFINE_IM2COL_NCHW(portable, )
#if defined(__x86_64__)
DEFINE_IM2COL_NCHW(avx2, __attribute__((target("avx2,fma"))))
DEFINE_IM2COL_NCHW(avx512, __attribute__((target("avx512f"))))
#endif

static void im2col_nchw(const struct aib_conv_geom *g, enum aib_simd simd, const float *in,
                        float *col)
{
    switch (simd) {
#if defined(__x86_64__)
    case AIB_SIMD_AVX512: im2col_nchw_avx512(g, in, col); break;
    case AIB_SIMD_AVX2: im2col_nchw_avx2(g, in, col); break;
#endif
    default: im2col_nchw_portable(g, in, col); break;
    }
}

/* NHWC: row (p, q) of col is the R x S x Cg patch under output pixel (p, q).
 * Without groups and dilation, a filter row's S pixels are S*C contiguous
 * floats of the input, copied at once when they are all inside it. */
static void im2col_nhwc(const struct aib_conv_geom *g, const float *in, float *col)
{
    const int64_t H = g->h, W = g->w, C = g->c, cg = g->cg, st = g->stride;
    const size_t patch = (size_t)cg * sizeof(float);
    const int whole_rows = cg == C && g->dil == 1;
    for (int64_t p = 0; p < g->p; p++) {
        for (int64_t q = 0; q < g->q; q++) {
            float *dst = col + (p * g->q + q) * g->r * g->s * cg;
            const int64_t w0 = q * st - g->pad;
            const int inside = w0 >= 0 && w0 + g->s <= W;
            for (int64_t r = 0; r < g->r; r++) {
                int64_t h = p * st - g->pad + r * g->dil;
                if (h < 0 || h >= H) {
                    memset(dst, 0, patch * (size_t)g->s);
                    dst += g->s * cg;
                    continue;
                }
                if (whole_rows && inside) {
                    memcpy(dst, in + (h * W + w0) * C, patch * (size_t)g->s);
                    dst += g->s * cg;
                    continue;
                }
                for (int64_t s = 0; s < g->s; s++, dst += cg) {
                    int64_t w = w0 + s * g->dil;
                    if (w < 0 || w >= W)
                        memset(dst, 0, patch);
                    else
                        memcpy(dst, in + (h * W + w) * C, patch);
                }
            }
        }
    }
}

/* The copy runs on the calling thread: OpenBLAS's workers spin for a while
 * after each call, so a second team copying on their cores only slows
 * both down (measured: worse than one thread copying). */
void aib_conv_im2col_run(const struct aib_conv_geom *g, enum aib_simd simd, const float *in,
                         const float *wt, float *out, float *col)
{
    const int pw = aib_conv_is_pointwise(g);
    const int64_t PQ = g->p * g->q, crs = g->cg * g->r * g->s;
    for (int64_t n = 0; n < g->n; n++) {
        for (int64_t grp = 0; grp < g->groups; grp++) {
            const float *wg = wt + grp * g->kg * crs;
            const float *img = g->nhwc ? in + n * g->h * g->w * g->c + grp * g->cg
                                       : in + (n * g->c + grp * g->cg) * g->h * g->w;
            if (!pw && g->nhwc)
                im2col_nhwc(g, img, col);
            else if (!pw)
                im2col_nchw(g, simd, img, col);
            if (!g->nhwc)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->kg, (int)PQ,
                            (int)crs, 1.0f, wg, (int)crs, pw ? img : col, (int)PQ, 0.0f,
                            out + (n * g->k + grp * g->kg) * PQ, (int)PQ);
            else
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)PQ, (int)g->kg,
                            (int)crs, 1.0f, pw ? img : col, pw ? (int)g->c : (int)crs, wg,
                            (int)crs, 0.0f, out + n * PQ * g->k + grp * g->kg, (int)g->k);
        }
    }
}
