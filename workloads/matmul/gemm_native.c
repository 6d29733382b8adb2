/* Blocked, packed, multi-threaded GEMM driver around the micro-kernels of
 * gemm_kernels.c, in the Goto/BLIS loop order (per thread, all in step):
 *   for each nc-column panel of B:  for each kc slice of k:
 *     pack B slivers (kc x NR) together;  barrier;
 *     for each mc-row block of A (the thread's rows): pack it (MR x kc slivers);
 *       for each B sliver (kept in L1):  for each A sliver (streamed from L2):
 *         the MR x NR micro-kernel.
 * kc is sized so a B sliver fills half of L1, mc so an A block fills half
 * of L2. Threads split the rows of C, each with its own A block in its own
 * core's L2 and the B panel shared; when C has too few rows for that, they
 * split the B slivers instead and pack a shared A block together. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include "gemm_native.h"

#include <stdlib.h>
#include <string.h>

struct aib_gemm_native {
    struct aib_gemm_desc d;
    const struct aib_gemm_kernel *kr;
    struct aib_cpu_team *team;
    size_t es_in, es_out;   /* element sizes of A/B and of C */
    struct aib_gemm_blocking b;
    int split_cols;         /* threads split B slivers instead of rows */
    unsigned nthreads;
    void *bpanel;           /* kc x nc, shared */
    void **apack;           /* mc x kc per thread (one, shared, when split_cols) */
    uint64_t iters;
};

static size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }
static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* Packs rows [i0, i0+mr) x k [p0, p0+kcur) of op(A) into an MR x kpad
 * sliver: element (i, p) goes to (p/KS)*MR*KS + i*KS + p%KS, zero padded.
 * KS (1, or 2 for bf16 pairs) is a constant so the index math folds. */
#define DEFINE_PACK(T, SFX, KS)                                                             \
    static void pack_a_##SFX(const struct aib_gemm_desc *d, size_t MR, size_t i0, size_t mr, \
                             size_t p0, size_t kcur, size_t kpad, T *restrict out)          \
    {                                                                                       \
        const T *a = d->a;                                                                  \
        if (mr < MR || kcur < kpad)                                                         \
            memset(out, 0, MR * kpad * sizeof(T));                                          \
        if (!d->transa) {                                                                   \
            for (size_t i = 0; i < mr; i++) {                                               \
                const T *restrict src = a + (i0 + i) * d->lda + p0;                         \
                for (size_t p = 0; p < kcur; p++)                                           \
                    out[(p / KS) * MR * KS + i * KS + p % KS] = src[p];                     \
            }                                                                               \
        } else {                                                                            \
            for (size_t p = 0; p < kcur; p++) {                                             \
                const T *restrict src = a + (p0 + p) * d->lda + i0;                         \
                T *restrict dst = out + (p / KS) * MR * KS + p % KS;                        \
                for (size_t i = 0; i < mr; i++)                                             \
                    dst[i * KS] = src[i];                                                   \
            }                                                                               \
        }                                                                                   \
    }                                                                                       \
    /* Columns [j0, j0+nr) x k [p0, p0+kcur) of op(B) into a kpad x NR sliver:         \
     * element (p, j) goes to (p/KS)*NR*KS + j*KS + p%KS, zero padded. */                  \
    static void pack_b_##SFX(const struct aib_gemm_desc *d, size_t NR, size_t j0, size_t nr, \
                             size_t p0, size_t kcur, size_t kpad, T *restrict out)          \
    {                                                                                       \
        const T *b = d->b;                                                                  \
        if (nr < NR || kcur < kpad)                                                         \
            memset(out, 0, NR * kpad * sizeof(T));                                          \
        if (!d->transb) {                                                                   \
            for (size_t p = 0; p < kcur; p++) {                                             \
                const T *restrict src = b + (p0 + p) * d->ldb + j0;                         \
                T *restrict dst = out + (p / KS) * NR * KS + p % KS;                        \
                for (size_t j = 0; j < nr; j++)                                             \
                    dst[j * KS] = src[j];                                                   \
            }                                                                               \
        } else {                                                                            \
            for (size_t j = 0; j < nr; j++) {                                               \
                const T *restrict src = b + (j0 + j) * d->ldb + p0;                         \
                for (size_t p = 0; p < kcur; p++)                                           \
                    out[(p / KS) * NR * KS + j * KS + p % KS] = src[p];                     \
            }                                                                               \
        }                                                                                   \
    }
DEFINE_PACK(float, f32, 1)
DEFINE_PACK(double, f64, 1)
DEFINE_PACK(uint16_t, b16, 2)

static void pack_a(const struct aib_gemm_native *g, size_t i0, size_t mr, size_t p0, size_t kcur,
                   size_t kpad, void *out)
{
    const struct aib_gemm_kernel *kr = g->kr;
    switch (g->d.prec) {
    case AIB_GEMM_FP32: pack_a_f32(&g->d, kr->mr, i0, mr, p0, kcur, kpad, out); break;
    case AIB_GEMM_FP64: pack_a_f64(&g->d, kr->mr, i0, mr, p0, kcur, kpad, out); break;
    case AIB_GEMM_BF16: pack_a_b16(&g->d, kr->mr, i0, mr, p0, kcur, kpad, out); break;
    }
}

static void pack_b(const struct aib_gemm_native *g, size_t j0, size_t nr, size_t p0, size_t kcur,
                   size_t kpad, void *out)
{
    const struct aib_gemm_kernel *kr = g->kr;
    switch (g->d.prec) {
    case AIB_GEMM_FP32: pack_b_f32(&g->d, kr->nr, j0, nr, p0, kcur, kpad, out); break;
    case AIB_GEMM_FP64: pack_b_f64(&g->d, kr->nr, j0, nr, p0, kcur, kpad, out); break;
    case AIB_GEMM_BF16: pack_b_b16(&g->d, kr->nr, j0, nr, p0, kcur, kpad, out); break;
    }
}

/* One tile of C at (i, j), mr x nr valid. Edge tiles go through a full
 * scratch tile so the kernel never writes outside C. */
static void tile(const struct aib_gemm_native *g, size_t kpad, const char *ap, const char *bp,
                 size_t i, size_t j, size_t mr, size_t nr, int accumulate)
{
    const struct aib_gemm_kernel *kr = g->kr;
    char *c = (char *)g->d.c + (i * g->d.ldc + j) * g->es_out;
    if (mr == kr->mr && nr == kr->nr) {
        kr->ukr(kpad, ap, bp, c, g->d.ldc, accumulate);
        return;
    }
    _Alignas(64) char scratch[16 * 32 * sizeof(double)];
    kr->ukr(kpad, ap, bp, scratch, kr->nr, 0);
    for (size_t r = 0; r < mr; r++) {
        char *dst = c + r * g->d.ldc * g->es_out;
        const char *src = scratch + r * kr->nr * g->es_out;
        if (!accumulate) {
            memcpy(dst, src, nr * g->es_out);
        } else if (g->es_out == sizeof(double)) {
            for (size_t q = 0; q < nr; q++)
                ((double *)dst)[q] += ((const double *)src)[q];
        } else {
            for (size_t q = 0; q < nr; q++)
                ((float *)dst)[q] += ((const float *)src)[q];
        }
    }
}

/* The thread's share [lo, hi) of `count` items. */
static void share(size_t count, unsigned tid, unsigned nt, size_t *lo, size_t *hi)
{
    *lo = count * tid / nt;
    *hi = count * (tid + 1) / nt;
}

/* All tiles of rows [i0, i0+mcur) x the B slivers [jlo, jhi) of the panel
 * at column j0: each B sliver stays in L1 while the A slivers stream. */
static void block(const struct aib_gemm_native *g, const char *apack, size_t asz, size_t i0,
                  size_t mcur, const char *bpanel, size_t bsz, size_t j0, size_t ncur, size_t jlo,
                  size_t jhi, size_t kpad, int accumulate)
{
    const size_t MR = g->kr->mr, NR = g->kr->nr, ms = (mcur + MR - 1) / MR;
    for (size_t sj = jlo; sj < jhi; sj++)
        for (size_t si = 0; si < ms; si++)
            tile(g, kpad, apack + si * asz, bpanel + sj * bsz, i0 + si * MR, j0 + sj * NR,
                 min_sz(MR, mcur - si * MR), min_sz(NR, ncur - sj * NR), accumulate);
}

static void pack_a_block(const struct aib_gemm_native *g, size_t i0, size_t mcur, size_t slo,
                         size_t shi, size_t p0, size_t kcur, size_t kpad, char *out)
{
    const size_t MR = g->kr->mr, asz = MR * kpad * g->es_in;
    for (size_t s = slo; s < shi; s++)
        pack_a(g, i0 + s * MR, min_sz(MR, mcur - s * MR), p0, kcur, kpad, out + s * asz);
}

static void gemm_thread(void *ctx, unsigned tid, unsigned nt)
{
    struct aib_gemm_native *g = ctx;
    const struct aib_gemm_desc *d = &g->d;
    const size_t MR = g->kr->mr, NR = g->kr->nr, kstep = g->kr->kstep;
    const size_t mc = g->b.mc, kc = g->b.kc, nc = g->b.nc;
    /* rows mode: this thread's rows, whole MR slivers */
    size_t mt = (d->m + MR - 1) / MR, rlo, rhi;
    share(mt, tid, nt, &rlo, &rhi);
    rlo *= MR;
    rhi = min_sz(rhi * MR, d->m);
    char *mine = g->apack[g->split_cols ? 0 : tid];
    for (uint64_t it = 0; it < g->iters; it++) {
        for (size_t j0 = 0; j0 < d->n; j0 += nc) {
            size_t ncur = min_sz(nc, d->n - j0), ns = (ncur + NR - 1) / NR, blo, bhi;
            share(ns, tid, nt, &blo, &bhi);
            for (size_t p0 = 0; p0 < d->k; p0 += kc) {
                size_t kcur = min_sz(kc, d->k - p0), kpad = round_up(kcur, kstep);
                size_t asz = MR * kpad * g->es_in, bsz = NR * kpad * g->es_in;
                int acc = p0 != 0;
                aib_cpu_team_barrier(g->team, tid); /* nobody reads the old panel any more */
                for (size_t s = blo; s < bhi; s++)
                    pack_b(g, j0 + s * NR, min_sz(NR, ncur - s * NR), p0, kcur, kpad,
                           (char *)g->bpanel + s * bsz);
                aib_cpu_team_barrier(g->team, tid); /* the panel is complete */
                if (!g->split_cols) {
                    for (size_t i0 = rlo; i0 < rhi; i0 += mc) {
                        size_t mcur = min_sz(mc, rhi - i0);
                        pack_a_block(g, i0, mcur, 0, (mcur + MR - 1) / MR, p0, kcur, kpad, mine);
                        block(g, mine, asz, i0, mcur, g->bpanel, bsz, j0, ncur, 0, ns, kpad, acc);
                    }
                    continue;
                }
                for (size_t i0 = 0; i0 < d->m; i0 += mc) {
                    size_t mcur = min_sz(mc, d->m - i0), alo, ahi;
                    share((mcur + MR - 1) / MR, tid, nt, &alo, &ahi);
                    if (i0 != 0) /* the shared A block is rewritten */
                        aib_cpu_team_barrier(g->team, tid);
                    pack_a_block(g, i0, mcur, alo, ahi, p0, kcur, kpad, mine);
                    aib_cpu_team_barrier(g->team, tid);
                    block(g, mine, asz, i0, mcur, g->bpanel, bsz, j0, ncur, blo, bhi, kpad, acc);
                }
            }
        }
    }
}

void aib_gemm_blocking_plan(const struct aib_gemm_kernel *kr, size_t m, size_t n, size_t k,
                            size_t l1d, size_t l2, struct aib_gemm_blocking *out)
{
    size_t es = kr->prec == AIB_GEMM_BF16 ? 2 : kr->prec == AIB_GEMM_FP64 ? 8 : 4;
    l1d = l1d ? l1d : (size_t)32 << 10;
    l2 = l2 ? l2 : (size_t)512 << 10;
    /* a B sliver in half of L1, an A block in half of L2 */
    size_t kc = l1d / 2 / (kr->nr * es) / 16 * 16;
    kc = kc < 64 ? 64 : kc > 1024 ? 1024 : kc;
    size_t mc = l2 / 2 / (kc * es) / kr->mr * kr->mr;
    mc = mc < kr->mr ? kr->mr : mc;
    size_t nc = (size_t)4096 / kr->nr * kr->nr;
    out->kc = min_sz(kc, round_up(k, kr->kstep));
    out->mc = min_sz(mc, round_up(m, kr->mr));
    out->nc = min_sz(nc, round_up(n, kr->nr));
}

size_t aib_gemm_native_buffer_bytes(const struct aib_gemm_kernel *kr, size_t m, size_t n, size_t k,
                                    unsigned nthreads, size_t l1d, size_t l2)
{
    struct aib_gemm_blocking b;
    size_t es = kr->prec == AIB_GEMM_BF16 ? 2 : kr->prec == AIB_GEMM_FP64 ? 8 : 4;
    aib_gemm_blocking_plan(kr, m, n, k, l1d, l2, &b);
    return (b.mc * nthreads + b.nc) * b.kc * es + (nthreads + 1) * 64;
}

int aib_gemm_native_create(const struct aib_gemm_desc *d, const struct aib_gemm_kernel *kr,
                           struct aib_cpu_team *team, size_t l1d, size_t l2,
                           struct aib_gemm_native **out, struct aib_err *err)
{
    *out = NULL;
    if (kr->prec != d->prec)
        return aib_err_set(err, AIB_ERUN, "GEMM kernel precision does not match the problem");
    struct aib_gemm_native *g = calloc(1, sizeof *g);
    if (!g)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    g->d = *d;
    g->kr = kr;
    g->team = team;
    g->nthreads = aib_cpu_team_size(team);
    g->es_in = d->prec == AIB_GEMM_BF16 ? 2 : d->prec == AIB_GEMM_FP64 ? 8 : 4;
    g->es_out = d->prec == AIB_GEMM_FP64 ? 8 : 4;
    aib_gemm_blocking_plan(kr, d->m, d->n, d->k, l1d, l2, &g->b);
    /* Rows are the better split (each core's A block in its own L2), as
     * long as every thread gets a few slivers. */
    g->split_cols = (d->m + kr->mr - 1) / kr->mr < 4 * (size_t)g->nthreads;
    unsigned na = g->split_cols ? 1 : g->nthreads;
    size_t abytes = round_up(g->b.mc * g->b.kc * g->es_in, 64);
    size_t bbytes = round_up(g->b.nc * g->b.kc * g->es_in, 64);
    g->apack = calloc(na, sizeof *g->apack);
    g->bpanel = aligned_alloc(64, bbytes);
    int ok = g->apack && g->bpanel;
    for (unsigned i = 0; ok && i < na; i++)
        ok = (g->apack[i] = aligned_alloc(64, abytes)) != NULL;
    if (!ok) {
        aib_gemm_native_destroy(g);
        return aib_err_set(err, AIB_ENOMEM, "cannot allocate GEMM packing buffers");
    }
    *out = g;
    return 0;
}

void aib_gemm_native_run(struct aib_gemm_native *g, uint64_t iters)
{
    g->iters = iters;
    aib_cpu_team_run(g->team, gemm_thread, g);
}

void aib_gemm_native_destroy(struct aib_gemm_native *g)
{
    if (!g)
        return;
    for (unsigned i = 0; g->apack && i < (g->split_cols ? 1 : g->nthreads); i++)
        free(g->apack[i]);
    free(g->apack);
    free(g->bpanel);
    free(g);
}
