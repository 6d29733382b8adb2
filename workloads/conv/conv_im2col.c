/* The column buffer's geometry, and convolution as im2col + OpenBLAS SGEMM
 * per (image, group), in L2-sized tiles on the pinned team (1x1 layers:
 * one SGEMM on the input as it is). NCHW: col is (Cg*R*S) x (P*Q) and out = W_g * col, so
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

/* NHWC: row (p, q) of col is the R x S x Cg patch under output pixel (p, q);
 * this fills the rows of output rows [p0, p1), from col on.
 * Without groups and dilation, a filter row's S pixels are S*C contiguous
 * floats of the input, copied at once when they are all inside it. */
static void im2col_nhwc(const struct aib_conv_geom *g, const float *in, float *col, int64_t p0,
                        int64_t p1)
{
    const int64_t H = g->h, W = g->w, C = g->c, cg = g->cg, st = g->stride;
    const size_t patch = (size_t)cg * sizeof(float);
    const int whole_rows = cg == C && g->dil == 1;
    for (int64_t p = p0; p < p1; p++) {
        for (int64_t q = 0; q < g->q; q++) {
            float *dst = col + ((p - p0) * g->q + q) * g->r * g->s * cg;
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

/* A 1x1, stride-1, unpadded layer: the input is the GEMM operand as it
 * is, so one SGEMM per (image, group) on OpenBLAS's threads. */
void aib_conv_pointwise_run(const struct aib_conv_geom *g, const float *in, const float *wt,
                            float *out)
{
    const int64_t PQ = g->p * g->q, cg = g->cg;
    for (int64_t n = 0; n < g->n; n++) {
        for (int64_t grp = 0; grp < g->groups; grp++) {
            const float *wg = wt + grp * g->kg * cg;
            if (!g->nhwc)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->kg, (int)PQ,
                            (int)cg, 1.0f, wg, (int)cg, in + (n * g->c + grp * cg) * PQ, (int)PQ,
                            0.0f, out + (n * g->k + grp * g->kg) * PQ, (int)PQ);
            else
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)PQ, (int)g->kg,
                            (int)cg, 1.0f, in + n * PQ * g->c + grp * cg, (int)g->c, wg, (int)cg,
                            0.0f, out + n * PQ * g->k + grp * g->kg, (int)g->k);
        }
    }
}

/* A layer that needs a column buffer, either layout, on the pinned team
 * with OpenBLAS on one thread. With one copying thread and OpenBLAS's
 * threads multiplying, the copy of a 3x3 layer (9 times the input, written
 * to memory, then read again by the GEMM) took a quarter to a third of the
 * layer's time (NCHW pass 0.79 of the same GEMMs alone, NHWC 0.90). Here
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

/* The GEMM of `cols` output pixels starting at pixel j0, filters [k0, k1):
 * NCHW out = W * col (col: crs x cols, leading dimension ld), NHWC out =
 * col * W^T (col: cols x crs). og is the (image, group)'s output. */
static void tile_gemm(const struct aib_conv_geom *g, const float *wg, const float *col,
                      int64_t ld, int64_t j0, int64_t cols, int64_t k0, int64_t k1, float *og)
{
    const int64_t PQ = g->p * g->q, crs = g->cg * g->r * g->s;
    if (k1 <= k0)
        return;
    if (!g->nhwc)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(k1 - k0), (int)cols,
                    (int)crs, 1.0f, wg + k0 * crs, (int)crs, col, (int)ld, 0.0f,
                    og + k0 * PQ + j0, (int)PQ);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)cols, (int)(k1 - k0),
                    (int)crs, 1.0f, col, (int)crs, wg + k0 * crs, (int)crs, 0.0f,
                    og + j0 * g->k + k0, (int)g->k);
}

static void tile_copy(const struct tiled_job *j, const float *img, float *buf, int64_t x0,
                      int64_t x1, int64_t p0, int64_t p1, int64_t ld)
{
    if (j->g->nhwc)
        im2col_nhwc(j->g, img, buf, p0, p1);
    else
        im2col_nchw(j->g, j->simd, img, buf, x0, x1, p0, p1, ld);
}

static void tiled_member(void *ctx, unsigned tid, unsigned nt)
{
    const struct tiled_job *j = ctx;
    const struct aib_conv_geom *g = j->g;
    const struct aib_conv_tiles *t = j->t;
    const int64_t PQ = g->p * g->q, crs = g->cg * g->r * g->s;
    for (int64_t n = 0; n < g->n; n++) {
        for (int64_t grp = 0; grp < g->groups; grp++) {
            const float *wg = j->wt + grp * g->kg * crs;
            const float *img = g->nhwc ? j->in + n * g->h * g->w * g->c + grp * g->cg
                                       : j->in + (n * g->c + grp * g->cg) * g->h * g->w;
            float *og = g->nhwc ? j->out + n * PQ * g->k + grp * g->kg
                                : j->out + (n * g->k + grp * g->kg) * PQ;
            if (t->rows) { /* bands of output rows, tiles in this member's buffer */
                float *buf = t->bufs + (size_t)tid * t->buf_elems;
                int64_t pb = g->p * tid / nt, pe = g->p * (tid + 1) / nt;
                /* as few tiles as the budget allows, of even heights (a
                 * 7-row band in 5-row tiles: 4 + 3, not 5 + 2) */
                int64_t ntiles = (pe - pb + t->rows - 1) / t->rows;
                for (int64_t i = 0, p = pb; i < ntiles; i++, p = pb + (pe - pb) * i / ntiles) {
                    int64_t p1 = pb + (pe - pb) * (i + 1) / ntiles, cols = (p1 - p) * g->q;
                    tile_copy(j, img, buf, 0, crs, p, p1, cols);
                    tile_gemm(g, wg, buf, cols, p * g->q, cols, 0, g->kg, og);
                }
            } else { /* one shared buffer: copy a share of it, then filters */
                if (g->nhwc) {
                    int64_t p0 = g->p * tid / nt, p1 = g->p * (tid + 1) / nt;
                    tile_copy(j, img, t->bufs + p0 * g->q * crs, 0, 0, p0, p1, 0);
                } else {
                    int64_t x0 = crs * tid / nt, x1 = crs * (tid + 1) / nt;
                    tile_copy(j, img, t->bufs + x0 * PQ, x0, x1, 0, g->p, PQ);
                }
                aib_cpu_team_barrier(t->team, tid);
                tile_gemm(g, wg, t->bufs, PQ, 0, PQ, g->kg * tid / nt, g->kg * (tid + 1) / nt, og);
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
