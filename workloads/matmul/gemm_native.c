/* Blocked, packed, multi-threaded GEMM driver around the micro-kernels of
 * gemm_kernels.c. Loop order (per thread, all threads in step):
 *   for each k panel (kc):  for each A panel (mc rows):
 *     pack A slivers (MR x kc);  for each B block (nb columns):
 *       pack B slivers (kc x NR);  barrier;  run MR x NR tiles.
 * Work is split over the A slivers (rows) when there are enough of them,
 * else over the B slivers (columns); each thread then packs what only it
 * reads, and the shared operand is packed by all threads together. The B
 * block is double-buffered so one barrier per block suffices. */
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
    size_t kc, mc, nb;      /* blocking clipped to the problem */
    int split_cols;         /* threads split B slivers instead of A slivers */
    void *apack;            /* mc rounded to MR, times kc */
    void *bpack[2];         /* kc times nb rounded to NR */
    uint64_t iters;
};

static size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }
static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* Packs rows [i0, i0+mr) x k [p0, p0+kcur) of op(A) into an MR x kpad
 * sliver: element (i, p) goes to (p/ks)*MR*ks + i*ks + p%ks, zero padded. */
#define DEFINE_PACK(T, SFX)                                                                 \
    static void pack_a_##SFX(const struct aib_gemm_desc *d, unsigned MR, unsigned ks,        \
                             size_t i0, size_t mr, size_t p0, size_t kcur, size_t kpad,     \
                             T *restrict out)                                               \
    {                                                                                       \
        const T *a = d->a;                                                                  \
        if (mr < MR || kcur < kpad)                                                         \
            memset(out, 0, (size_t)MR * kpad * sizeof(T));                                  \
        if (!d->transa && ks == 1) {                                                        \
            for (size_t i = 0; i < mr; i++) {                                               \
                const T *restrict src = a + (i0 + i) * d->lda + p0;                         \
                for (size_t p = 0; p < kcur; p++)                                           \
                    out[p * MR + i] = src[p];                                               \
            }                                                                               \
        } else if (d->transa && ks == 1) {                                                  \
            for (size_t p = 0; p < kcur; p++)                                               \
                memcpy(out + p * MR, a + (p0 + p) * d->lda + i0, mr * sizeof(T));           \
        } else {                                                                            \
            for (size_t i = 0; i < mr; i++)                                                 \
                for (size_t p = 0; p < kcur; p++)                                           \
                    out[(p / ks) * MR * ks + i * ks + p % ks] =                             \
                        d->transa ? a[(p0 + p) * d->lda + i0 + i]                           \
                                  : a[(i0 + i) * d->lda + p0 + p];                          \
        }                                                                                   \
    }                                                                                       \
    /* Columns [j0, j0+nr) x k [p0, p0+kcur) of op(B) into a kpad x NR sliver:         \
     * element (p, j) goes to (p/ks)*NR*ks + j*ks + p%ks, zero padded. */                  \
    static void pack_b_##SFX(const struct aib_gemm_desc *d, unsigned NR, unsigned ks,        \
                             size_t j0, size_t nr, size_t p0, size_t kcur, size_t kpad,     \
                             T *restrict out)                                               \
    {                                                                                       \
        const T *b = d->b;                                                                  \
        if (nr < NR || kcur < kpad)                                                         \
            memset(out, 0, (size_t)NR * kpad * sizeof(T));                                  \
        if (!d->transb && ks == 1) {                                                        \
            for (size_t p = 0; p < kcur; p++)                                               \
                memcpy(out + p * NR, b + (p0 + p) * d->ldb + j0, nr * sizeof(T));           \
        } else if (!d->transb) {                                                            \
            for (size_t p = 0; p < kcur; p++) {                                             \
                const T *restrict src = b + (p0 + p) * d->ldb + j0;                         \
                T *restrict dst = out + (p / ks) * NR * ks + p % ks;                        \
                for (size_t j = 0; j < nr; j++)                                             \
                    dst[j * ks] = src[j];                                                   \
            }                                                                               \
        } else {                                                                            \
            for (size_t j = 0; j < nr; j++) {                                               \
                const T *restrict src = b + (j0 + j) * d->ldb + p0;                         \
                for (size_t p = 0; p < kcur; p++)                                           \
                    out[(p / ks) * NR * ks + j * ks + p % ks] = src[p];                     \
            }                                                                               \
        }                                                                                   \
    }
DEFINE_PACK(float, f32)
DEFINE_PACK(double, f64)
DEFINE_PACK(uint16_t, b16)

static void pack_a(const struct aib_gemm_native *g, size_t i0, size_t mr, size_t p0, size_t kcur,
                   size_t kpad, void *out)
{
    const struct aib_gemm_kernel *kr = g->kr;
    switch (g->d.prec) {
    case AIB_GEMM_FP32: pack_a_f32(&g->d, kr->mr, kr->kstep, i0, mr, p0, kcur, kpad, out); break;
    case AIB_GEMM_FP64: pack_a_f64(&g->d, kr->mr, kr->kstep, i0, mr, p0, kcur, kpad, out); break;
    case AIB_GEMM_BF16: pack_a_b16(&g->d, kr->mr, kr->kstep, i0, mr, p0, kcur, kpad, out); break;
    }
}

static void pack_b(const struct aib_gemm_native *g, size_t j0, size_t nr, size_t p0, size_t kcur,
                   size_t kpad, void *out)
{
    const struct aib_gemm_kernel *kr = g->kr;
    switch (g->d.prec) {
    case AIB_GEMM_FP32: pack_b_f32(&g->d, kr->nr, kr->kstep, j0, nr, p0, kcur, kpad, out); break;
    case AIB_GEMM_FP64: pack_b_f64(&g->d, kr->nr, kr->kstep, j0, nr, p0, kcur, kpad, out); break;
    case AIB_GEMM_BF16: pack_b_b16(&g->d, kr->nr, kr->kstep, j0, nr, p0, kcur, kpad, out); break;
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

static void gemm_thread(void *ctx, unsigned tid, unsigned nt)
{
    struct aib_gemm_native *g = ctx;
    const struct aib_gemm_desc *d = &g->d;
    const struct aib_gemm_kernel *kr = g->kr;
    const size_t MR = kr->mr, NR = kr->nr;
    unsigned parity = 0;
    for (uint64_t it = 0; it < g->iters; it++) {
        for (size_t p0 = 0; p0 < d->k; p0 += g->kc) {
            size_t kcur = min_sz(g->kc, d->k - p0), kpad = round_up(kcur, kr->kstep);
            size_t asz = MR * kpad * g->es_in, bsz = NR * kpad * g->es_in;
            for (size_t i0 = 0; i0 < d->m; i0 += g->mc) {
                size_t mcur = min_sz(g->mc, d->m - i0), ms = (mcur + MR - 1) / MR;
                size_t alo, ahi;
                share(ms, tid, nt, &alo, &ahi);
                /* The panel is rewritten: nobody may still read the old one (with
                 * rows split, a thread's slivers move when the panel shrinks). */
                aib_cpu_team_barrier(g->team, tid);
                size_t prev_ns = 0;
                for (size_t s = alo; s < ahi; s++)
                    pack_a(g, i0 + s * MR, min_sz(MR, mcur - s * MR), p0, kcur, kpad,
                           (char *)g->apack + s * asz);
                for (size_t j0 = 0; j0 < d->n; j0 += g->nb) {
                    size_t ncur = min_sz(g->nb, d->n - j0), ns = (ncur + NR - 1) / NR;
                    char *bbuf = g->bpack[parity];
                    parity ^= 1;
                    size_t blo, bhi;
                    share(ns, tid, nt, &blo, &bhi);
                    /* With columns split nobody waits between blocks, so a slower
                     * thread may still read this buffer from two blocks ago: when
                     * the last, narrower block moves the shares, wait for it. */
                    if (g->split_cols && j0 != 0 && ns != prev_ns)
                        aib_cpu_team_barrier(g->team, tid);
                    prev_ns = ns;
                    for (size_t s = blo; s < bhi; s++)
                        pack_b(g, j0 + s * NR, min_sz(NR, ncur - s * NR), p0, kcur, kpad,
                               bbuf + s * bsz);
                    /* split_cols: B slivers are private, but A was packed by all */
                    if (!g->split_cols || j0 == 0)
                        aib_cpu_team_barrier(g->team, tid);
                    size_t ilo = g->split_cols ? 0 : alo, ihi = g->split_cols ? ms : ahi;
                    size_t jlo = g->split_cols ? blo : 0, jhi = g->split_cols ? bhi : ns;
                    for (size_t si = ilo; si < ihi; si++) {
                        const char *ap = (const char *)g->apack + si * asz;
                        size_t mr = min_sz(MR, mcur - si * MR);
                        for (size_t sj = jlo; sj < jhi; sj++)
                            tile(g, kpad, ap, bbuf + sj * bsz, i0 + si * MR, j0 + sj * NR, mr,
                                 min_sz(NR, ncur - sj * NR), p0 != 0);
                    }
                }
            }
        }
    }
}

size_t aib_gemm_native_buffer_bytes(const struct aib_gemm_kernel *kr, size_t m, size_t n, size_t k)
{
    size_t es = kr->prec == AIB_GEMM_BF16 ? 2 : kr->prec == AIB_GEMM_FP64 ? 8 : 4;
    size_t kc = round_up(min_sz(kr->kc, k), kr->kstep);
    size_t mc = round_up(min_sz(kr->mc, m), kr->mr);
    size_t nb = round_up(min_sz(kr->nb, n), kr->nr);
    return (mc + 2 * nb) * kc * es + 3 * 64;
}

int aib_gemm_native_create(const struct aib_gemm_desc *d, const struct aib_gemm_kernel *kr,
                           struct aib_cpu_team *team, struct aib_gemm_native **out,
                           struct aib_err *err)
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
    g->es_in = d->prec == AIB_GEMM_BF16 ? 2 : d->prec == AIB_GEMM_FP64 ? 8 : 4;
    g->es_out = d->prec == AIB_GEMM_FP64 ? 8 : 4;
    g->kc = min_sz(kr->kc, d->k);
    g->mc = min_sz(kr->mc, d->m);
    g->nb = min_sz(kr->nb, d->n);
    unsigned nt = aib_cpu_team_size(team);
    /* Rows are the better split (B block shared through each core's L2, A
     * slivers private), as long as every thread gets a few slivers. */
    g->split_cols = (g->mc + kr->mr - 1) / kr->mr < 4 * (size_t)nt;
    size_t kpad = round_up(g->kc, kr->kstep);
    size_t abytes = round_up(round_up(g->mc, kr->mr) * kpad * g->es_in, 64);
    size_t bbytes = round_up(round_up(g->nb, kr->nr) * kpad * g->es_in, 64);
    g->apack = aligned_alloc(64, abytes);
    g->bpack[0] = aligned_alloc(64, bbytes);
    g->bpack[1] = aligned_alloc(64, bbytes);
    if (!g->apack || !g->bpack[0] || !g->bpack[1]) {
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
    free(g->apack);
    free(g->bpack[0]);
    free(g->bpack[1]);
    free(g);
}
