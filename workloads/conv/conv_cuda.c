/* conv on a CUDA GPU: forward 2-D convolution, NCHW, through cuDNN (the
 * fastest algorithm cudnnFind reports, as PyTorch's cudnn.benchmark does)
 * or aibench's direct kernel, fp32 / fp16 / bf16 with fp32 accumulation.
 * Same shape parameters and layer list as the CPU conv; CUDA-event timed,
 * verified on sampled outputs against a CPU reference. */
#include <stdio.h>
#include <string.h>

#include "../cuda_common.h"
#include "conv_common.h"

struct conv_cuda_params {
    char layer[AIB_PARAM_STR_MAX];
    int64_t n, c, h, w, k, r, s, stride, pad, dilation, groups;
    int precision; /* index into prec_of[] */
    int impl;      /* enum aib_cuda_conv_impl */
};

static const int prec_of[] = {AIB_CUDA_FP32, AIB_CUDA_FP16, AIB_CUDA_BF16};

#define P_(f) offsetof(struct conv_cuda_params, f)
static const struct aib_param conv_cuda_decl[] = {
    AIB_CONV_SHAPE_PARAMS(struct conv_cuda_params, 1048576),
    {"precision", AIB_PT_ENUM, P_(precision), "fp32", 0, 0, "fp32|fp16|bf16",
     "tensor type, fp32 accumulation (fp32 stays fp32: no TF32)"},
    {"impl", AIB_PT_ENUM, P_(impl), "cudnn", 0, 0, "cudnn|native",
     "cudnn: cuDNN's fastest algorithm; native: aibench's direct kernel"},
};

static int geom(const struct conv_cuda_params *p, struct aib_conv_geom *g, struct aib_err *err)
{
    *g = (struct aib_conv_geom){.n = p->n, .c = p->c, .h = p->h, .w = p->w, .k = p->k, .r = p->r, .s = p->s,
                                .stride = p->stride, .pad = p->pad, .dil = p->dilation, .groups = p->groups};
    return aib_conv_geom_resolve(p->layer, g, err);
}

static int conv_cuda_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct conv_cuda_params *p = params;
    struct aib_conv_geom g;
    int rc = geom(p, &g, err);
    if (rc || (rc = aib_cuda_check(dev, prec_of[p->precision], p->impl == AIB_CUDA_CONV_NATIVE, err)))
        return rc;
    double es = p->precision == 0 ? 4 : 2;
    double elems = aib_conv_elems_in(&g) + aib_conv_elems_wt(&g) + aib_conv_elems_out(&g);
    return aib_cuda_check_mem(dev, elems * es, "this convolution", err);
}

static void conv_cuda_work(const void *params, struct aib_work *out)
{
    struct aib_conv_geom g;
    struct aib_err err = {0};
    memset(out, 0, sizeof *out);
    if (geom(params, &g, &err) == 0) /* validated before any work is asked */
        out->flops = aib_conv_flops(&g);
}

static int conv_cuda_setup(const struct aib_device *dev, const void *params, void **state, struct aib_err *err)
{
    const struct conv_cuda_params *p = params;
    struct aib_conv_geom g;
    struct aib_work work;
    struct aib_cuda_state *s;
    char why[512] = "";
    int rc = geom(p, &g, err);
    if (rc)
        return rc;
    struct aib_cuda_conv_args a = {.impl = p->impl, .precision = prec_of[p->precision], .n = (int)g.n,
                                   .c = (int)g.c, .h = (int)g.h, .w = (int)g.w, .k = (int)g.k, .r = (int)g.r,
                                   .s = (int)g.s, .stride = (int)g.stride, .pad = (int)g.pad,
                                   .dilation = (int)g.dil, .groups = (int)g.groups};
    conv_cuda_work(params, &work);
    if ((rc = aib_cuda_state_new(dev, &work, &s, err)))
        return rc;
    rc = s->pl->conv_create(dev->index, &a, &s->job, why, sizeof why);
    return aib_cuda_state_created(s, rc, why, state, err);
}

const struct aib_workload_ops aib_conv_cuda = {
    .name = "conv",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_CUDA,
    .summary = "2-D convolution forward on the GPU (cuDNN or a native direct kernel; GFLOP/s), CUDA-event "
               "timed, verified on sampled outputs",
    .params = {"conv", conv_cuda_decl, sizeof conv_cuda_decl / sizeof conv_cuda_decl[0],
               sizeof(struct conv_cuda_params)},
    .validate = conv_cuda_validate,
    .setup = conv_cuda_setup,
    .run = aib_cuda_run,
    .verify = aib_cuda_verify,
    .work = conv_cuda_work,
    .metrics = aib_cuda_metrics,
    .teardown = aib_cuda_teardown,
};
