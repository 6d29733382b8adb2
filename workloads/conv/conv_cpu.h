/* Shared by the CPU conv files: the two implementations of one 2-D
 * convolution (its geometry is in conv_common.h). Input N x C x H x W (NCHW) or N x H x W x C
 * (NHWC); K filters of C/groups x R x S, stored KCRS for NCHW and KRSC for
 * NHWC; output N x K x P x Q or N x P x Q x K, fp32. */
#ifndef AIB_CONV_CPU_H
#define AIB_CONV_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "../cpu_threads.h"
#include "conv_common.h"

/* Elements of the (im2col) column buffer. */
double aib_conv_elems_col(const struct aib_conv_geom *g);
/* A 1x1, stride-1, unpadded convolution needs no column buffer: the input
 * already is the GEMM operand. */
int aib_conv_is_pointwise(const struct aib_conv_geom *g);

/* The output columns [qlo, qhi) whose input column q*stride - pad + off
 * lies inside [0, w) (off: the filter tap's dilated column). */
void aib_conv_valid_q(const struct aib_conv_geom *g, int64_t off, int64_t *qlo, int64_t *qhi);

/* A 1x1, stride-1, unpadded layer (no column buffer): one SGEMM per
 * (image, group) on OpenBLAS's threads. */
void aib_conv_pointwise_run(const struct aib_conv_geom *g, const float *in, const float *wt,
                            float *out);

/* im2col (any layer but 1x1) on a pinned team, OpenBLAS on one thread per
 * member: each member copies an L2-sized tile of the column buffer and
 * multiplies it at once (conv_im2col.c says why). The plan fills the
 * sizes; the caller sets team and bufs (nbufs * buf_elems floats, its own). */
struct aib_conv_tiles {
    struct aib_cpu_team *team;
    unsigned nthreads;
    int64_t rows;     /* output rows per tile; 0: one column buffer shared by the team */
    size_t buf_elems; /* floats per buffer */
    size_t nbufs;     /* one per member, or 1 when shared */
    float *bufs;
};
void aib_conv_tiles_plan(const struct aib_conv_geom *g, unsigned nthreads, uint64_t l2_bytes,
                         struct aib_conv_tiles *t);
void aib_conv_im2col_tiled_run(const struct aib_conv_geom *g, enum aib_simd simd,
                               const float *in, const float *wt, float *out,
                               const struct aib_conv_tiles *t);

/* Direct convolution on the team. For NHWC it takes the weights repacked
 * by aib_conv_direct_pack (group, r, s, c, k-in-group), for NCHW the KCRS
 * weights as they are. */
struct aib_conv_direct {
    const struct aib_conv_geom *g;
    const float *in, *wt;
    float *out;
    enum aib_simd simd;
};
void aib_conv_direct_pack(const struct aib_conv_geom *g, const float *krsc, float *packed);
void aib_conv_direct_run(struct aib_cpu_team *team, const struct aib_conv_direct *d);

#endif
