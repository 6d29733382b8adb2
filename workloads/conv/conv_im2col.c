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
 * plane shifted by one offset, so one memcpy covers every valid row of the
 * output rows [p0, p1), and the few elements that wrapped in from a
 * neighbouring row are zeroed after. One long copy instead of one per
 * output row: the copy was a third of a 3x3 layer's time with a memcpy per
 * output row. `row` holds output rows p0.. contiguously. */
static void im2col_row_same(const struct aib_conv_geom *g, const float *plane, float *row,
                            int64_t r, int64_t s, int64_t p0, int64_t p1)
{
    const int64_t W = g->w, Q = g->q, n = (p1 - p0) * Q;
    int64_t qlo, qhi, off = s * g->dil - g->pad, plo = p0, phi = p1;
    aib_conv_valid_q(g, s * g->dil, &qlo, &qhi);
    while (plo < p1 && plo - g->pad + r * g->dil < 0)
        plo++;
    while (phi > plo && phi - 1 - g->pad + r * g->dil >= g->h)
        phi--;
    if (plo == phi || qlo == qhi) {
        memset(row, 0, (size_t)n * sizeof *row);
        return;
    }
    /* dst (p, q) <- src (h = p - pad + r*dil, q + off), both with row
     * stride W: contiguous from (plo, qlo) to (phi - 1, qhi - 1) */
    const int64_t h0 = plo - g->pad + r * g->dil;
    const int64_t d0 = (plo - p0) * Q + qlo, d1 = (phi - 1 - p0) * Q + qhi;
    memset(row, 0, (size_t)d0 * sizeof *row);
    memcpy(row + d0, plane + h0 * W + qlo + off, (size_t)(d1 - d0) * sizeof *row);
    memset(row + d1, 0, (size_t)(n - d1) * sizeof *row);
    for (int64_t p = plo; p < phi; p++) {
        float *dst = row + (p - p0) * Q;
        if (p > plo)
            memset(dst, 0, (size_t)qlo * sizeof *dst);
        if (p < phi - 1)
            memset(dst + qhi, 0, (size_t)(Q - qhi) * sizeof *dst);
    }
}

/* NCHW: row (c, r, s) of col is the input plane c shifted by (r, s). This
 * fills rows [x0, x1) of it, for the output rows [p0, p1) only: row x
 * starts at col + (x - x0) * ld. One copy per row at stride 1 and "same"
 * padding (above), a memcpy per output row at other stride-1 shapes, a
 * strided gather otherwise, which is compiled once per SIMD path so the
 * compiler can vectorise it (permutes of wide loads) for the instruction
 * set the CPU has. */
#define DEFINE_IM2COL_NCHW(SFX, ATTR)                                                          \
    ATTR static void im2col_nchw_##SFX(const struct aib_conv_geom *g, const float *in,         \
                                       float *col, int64_t x0, int64_t x1, int64_t p0,         \
                                       int64_t p1, int64_t ld)                                 \
    {                                                                                          \
        const int64_t H = g->h, W = g->w, Q = g->q, st = g->stride;                            \
        for (int64_t x = x0; x < x1; x++) { /* row (c, r, s) */                                \
            const int64_t c = x / (g->r * g->s), r = x / g->s % g->r, s = x % g->s;            \
            const float *plane = in + c * H * W;                                               \
            float *row = col + (x - x0) * ld;                                                  \
            if (st == 1 && Q == W) {                                                           \
                im2col_row_same(g, plane, row, r, s, p0, p1);                                  \
                continue;                                                                      \
            }                                                                                  \
            int64_t qlo, qhi, off = s * g->dil - g->pad;                                       \
            aib_conv_valid_q(g, s * g->dil, &qlo, &qhi);                                       \
            for (int64_t p = p0; p < p1; p++) {                                                \
                float *restrict dst = row + (p - p0) * Q;                                      \
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
                        float *col, int64_t x0, int64_t x1, int64_t p0, int64_t p1, int64_t ld)
{
    switch (simd) {
#if defined(__x86_64__)
    case AIB_SIMD_AVX512: im2col_nchw_avx512(g, in, col, x0, x1, p0, p1, ld); break;
    case AIB_SIMD_AVX2: im2col_nchw_avx2(g, in, col, x0, x1, p0, p1, ld); break;
#endif
    default: im2col_nchw_portable(g, in, col, x0, x1, p0, p1, ld); break;
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

/* NHWC, and 1x1 layers in either layout: the copy (if any) on the calling
 * thread, then one SGEMM per (image, group) on OpenBLAS's threads. */
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
                im2col_nchw(g, simd, img, col, 0, crs, 0, g->p, PQ);
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

/* NCHW with a column buffer, on the pinned team with OpenBLAS on one
 * thread. With one copying thread and OpenBLAS's threads multiplying, the
 * copy of a 3x3 layer (9 times the input, written to memory, then read
 * again by the GEMM) took a quarter to a third of the layer's time. Here
 * each member takes a band of output rows and walks it in tiles whose
 * column block fits in its L2 cache: copy the tile, multiply it at once
 * while it is in the cache, writing its columns of the output. When the
 * output has too few rows to share out, the members copy disjoint rows of
 * one whole column buffer and then multiply disjoint blocks of filters. */
struct tiled_job {
    const struct aib_conv_geom *g;
    enum aib_simd simd;
    const float *in, *wt;
    float *out;
    const struct aib_conv_tiles *t;
};

static void tiled_member(void *ctx, unsigned tid, unsigned nt)
{
    const struct tiled_job *j = ctx;
    const struct aib_conv_geom *g = j->g;
    const struct aib_conv_tiles *t = j->t;
    const int64_t PQ = g->p * g->q, crs = g->cg * g->r * g->s;
    for (int64_t n = 0; n < g->n; n++) {
        for (int64_t grp = 0; grp < g->groups; grp++) {
            const float *wg = j->wt + grp * g->kg * crs;
            const float *img = j->in + (n * g->c + grp * g->cg) * g->h * g->w;
            float *og = j->out + (n * g->k + grp * g->kg) * PQ;
            if (t->rows) { /* bands of output rows, tiles in this member's buffer */
                float *buf = t->bufs + (size_t)tid * t->buf_elems;
                int64_t pb = g->p * tid / nt, pe = g->p * (tid + 1) / nt;
                for (int64_t p = pb; p < pe; p += t->rows) {
                    int64_t p1 = p + t->rows < pe ? p + t->rows : pe, cols = (p1 - p) * g->q;
                    im2col_nchw(g, j->simd, img, buf, 0, crs, p, p1, cols);
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->kg, (int)cols,
                                (int)crs, 1.0f, wg, (int)crs, buf, (int)cols, 0.0f, og + p * g->q,
                                (int)PQ);
                }
            } else { /* one shared buffer: copy rows of it, then filters */
                int64_t x0 = crs * tid / nt, x1 = crs * (tid + 1) / nt;
                im2col_nchw(g, j->simd, img, t->bufs + x0 * PQ, x0, x1, 0, g->p, PQ);
                aib_cpu_team_barrier(t->team, tid);
                int64_t k0 = g->kg * tid / nt, k1 = g->kg * (tid + 1) / nt;
                if (k1 > k0)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(k1 - k0),
                                (int)PQ, (int)crs, 1.0f, wg + k0 * crs, (int)crs, t->bufs,
                                (int)PQ, 0.0f, og + k0 * PQ, (int)PQ);
                aib_cpu_team_barrier(t->team, tid); /* the buffer is reused next */
            }
        }
    }
}

void aib_conv_tiles_plan(const struct aib_conv_geom *g, unsigned nthreads, uint64_t l2_bytes,
                         struct aib_conv_tiles *t)
{
    const int64_t crs = g->cg * g->r * g->s;
    memset(t, 0, sizeof *t);
    t->nthreads = nthreads ? nthreads : 1;
    /* three quarters of the L2: the tile, and room for OpenBLAS's packed
     * panels of the filters */
    uint64_t budget = (l2_bytes ? l2_bytes : 512 * 1024) / 4 * 3;
    int64_t rows = (int64_t)(budget / ((uint64_t)crs * (uint64_t)g->q * sizeof(float)));
    /* Bands only when each member gets several output rows: with fewer,
     * the members' shares differ too much (7 rows on 2 threads: 4 and 3). */
    if (g->p >= 4 * (int64_t)t->nthreads) {
        t->rows = rows < 1 ? 1 : rows;
        t->buf_elems = (size_t)(crs * t->rows * g->q);
        t->nbufs = t->nthreads;
    } else {
        t->rows = 0;
        t->buf_elems = (size_t)(crs * g->p * g->q);
        t->nbufs = 1;
    }
}

void aib_conv_im2col_tiled_run(const struct aib_conv_geom *g, enum aib_simd simd,
                               const float *in, const float *wt, float *out,
                               const struct aib_conv_tiles *t)
{
    struct tiled_job j = {.g = g, .simd = simd, .in = in, .wt = wt, .out = out, .t = t};
    aib_cpu_team_run(t->team, tiled_member, &j);
}
