/* What the conv variants (CPU, CUDA, OpenCL) share: the shape parameters,
 * the geometry of one 2-D convolution, and the one check of a shape, so
 * that every device refuses the same shapes with the same message. Input
 * N x C x H x W, K filters of C/groups x R x S, output N x K x P x Q. */
#ifndef AIB_CONV_COMMON_H
#define AIB_CONV_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "../../bench/err.h"
#include "../../bench/params.h"

struct aib_conv_geom {
    int64_t n, c, h, w, k, r, s, stride, pad, dil, groups;
    int64_t p, q;   /* output height and width, from aib_conv_geom_check */
    int64_t cg, kg; /* channels and filters per group */
    int nhwc;       /* the CPU variant's layout; 0 (NCHW) elsewhere */
};

/* The shape rows of a conv variant's parameter table: T is its params
 * struct, which has the fields `char layer[AIB_PARAM_STR_MAX]` and int64_t
 * n, c, h, w, k, r, s, stride, pad, dilation, groups; MAXDIM bounds c, h,
 * w, k and groups. */
#define AIB_CONV_SHAPE_PARAMS(T, MAXDIM)                                                                    \
    {"layer", AIB_PT_STR, offsetof(T, layer), "none", 0, 0, NULL,                                          \
     "a real layer, e.g. resnet50-res3a-branch2b: sets c..groups (those are then ignored); "               \
     "layer=list lists them"},                                                                             \
        {"n", AIB_PT_INT, offsetof(T, n), "1", 1, 65536, NULL, "batch (images)"},                          \
        {"c", AIB_PT_INT, offsetof(T, c), "64", 1, MAXDIM, NULL, "input channels"},                        \
        {"h", AIB_PT_INT, offsetof(T, h), "56", 1, MAXDIM, NULL, "input height"},                          \
        {"w", AIB_PT_INT, offsetof(T, w), "56", 1, MAXDIM, NULL, "input width"},                           \
        {"k", AIB_PT_INT, offsetof(T, k), "64", 1, MAXDIM, NULL, "output channels (filters)"},             \
        {"r", AIB_PT_INT, offsetof(T, r), "3", 1, 4096, NULL, "filter height"},                            \
        {"s", AIB_PT_INT, offsetof(T, s), "3", 1, 4096, NULL, "filter width"},                             \
        {"stride", AIB_PT_INT, offsetof(T, stride), "1", 1, 4096, NULL, "stride (both directions)"},       \
        {"pad", AIB_PT_INT, offsetof(T, pad), "1", 0, 4096, NULL, "zero padding on each side"},            \
        {"dilation", AIB_PT_INT, offsetof(T, dilation), "1", 1, 4096, NULL, "filter dilation"},            \
        {"groups", AIB_PT_INT, offsetof(T, groups), "1", 1, MAXDIM, NULL, "groups (c for depthwise)"}

/* g holds the shape the parameters give; a `layer` other than "none" (or
 * "") replaces c..groups with that layer's (the batch n stays). Then
 * aib_conv_geom_check. AIB_EUSAGE listing the built-in layers when the
 * name is unknown (so layer=list shows them). */
int aib_conv_geom_resolve(const char *layer, struct aib_conv_geom *g, struct aib_err *err);
/* Checks the shape (groups divide C and K, the output is not empty, no
 * size overflows) and fills p, q, cg, kg; AIB_EUSAGE naming the problem. */
int aib_conv_geom_check(struct aib_conv_geom *g, struct aib_err *err);

/* Elements of the input, weights and output. */
double aib_conv_elems_in(const struct aib_conv_geom *g);
double aib_conv_elems_wt(const struct aib_conv_geom *g);
double aib_conv_elems_out(const struct aib_conv_geom *g);
/* 2 * N*K * C/groups*R*S * P*Q: one multiply-add per filter tap and output. */
double aib_conv_flops(const struct aib_conv_geom *g);

#endif
