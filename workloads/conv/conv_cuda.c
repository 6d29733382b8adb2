/* conv on a CUDA GPU: forward 2-D convolution, NCHW, through cuDNN (the
 * fastest algorithm cudnnFind reports, as PyTorch's cudnn.benchmark does)
 * or aibench's direct kernel, fp32 / fp16 / bf16 with fp32 accumulation.
 * Same shape parameters and layer list as the CPU conv; CUDA-event timed,
 * verified on sampled outputs against a CPU reference. */
#include <stdio.h>
#include <string.h>

#include "../cuda_common.h"

struct conv_cuda_params {
    char layer[AIB_PARAM_STR_MAX];
    int64_t n, c, h, w, k, r, s, stride, pad, dilation, groups;
    int precision; /* index into prec_of[] */
    int impl;      /* enum aib_cuda_conv_impl */
};

static const int prec_of[] = {AIB_CUDA_FP32, AIB_CUDA_FP16, AIB_CUDA_BF16};

#define P_(f) offsetof(struct conv_cuda_params, f)
static const struct aib_param conv_cuda_decl[] = {
    {"layer", AIB_PT_STR, P_(layer), "none", 0, 0, NULL,
     "a real layer (sets c..groups), e.g. resnet50-res3a-branch2b; layer=list lists them"},
    {"n", AIB_PT_INT, P_(n), "1", 1, 65536, NULL, "batch (images)"},
    {"c", AIB_PT_INT, P_(c), "64", 1, 1048576, NULL, "input channels"},
    {"h", AIB_PT_INT, P_(h), "56", 1, 1048576, NULL, "input height"},
    {"w", AIB_PT_INT, P_(w), "56", 1, 1048576, NULL, "input width"},
    {"k", AIB_PT_INT, P_(k), "64", 1, 1048576, NULL, "output channels (filters)"},
    {"r", AIB_PT_INT, P_(r), "3", 1, 4096, NULL, "filter height"},
    {"s", AIB_PT_INT, P_(s), "3", 1, 4096, NULL, "filter width"},
    {"stride", AIB_PT_INT, P_(stride), "1", 1, 4096, NULL, "stride (both directions)"},
    {"pad", AIB_PT_INT, P_(pad), "1", 0, 4096, NULL, "zero padding on each side"},
    {"dilation", AIB_PT_INT, P_(dilation), "1", 1, 4096, NULL, "filter dilation"},
    {"groups", AIB_PT_INT, P_(groups), "1", 1, 1048576, NULL, "groups (c for depthwise)"},
    {"precision", AIB_PT_ENUM, P_(precision), "fp32", 0, 0, "fp32|fp16|bf16",
     "tensor type, fp32 accumulation (fp32 stays fp32: no TF32)"},
    {"impl", AIB_PT_ENUM, P_(impl), "cudnn", 0, 0, "cudnn|native",
     "cudnn: cuDNN's fastest algorithm; native: aibench's direct kernel"},
};

static int geom(const struct conv_cuda_params *p, struct aib_gpu_conv *g, struct aib_err *err)
{
    *g = (struct aib_gpu_conv){.n = p->n, .c = p->c, .h = p->h, .w = p->w, .k = p->k, .r = p->r, .s = p->s,
                               .stride = p->stride, .pad = p->pad, .dilation = p->dilation, .groups = p->groups};
    return aib_gpu_conv_geom(p->layer, g, err);
}

static int conv_cuda_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct conv_cuda_params *p = params;
    struct aib_gpu_conv g;
    int rc = geom(p, &g, err);
    if (rc || (rc = aib_cuda_check(dev, prec_of[p->precision], p->impl == AIB_CUDA_CONV_NATIVE, err)))
        return rc;
    double es = p->precision == 0 ? 4 : 2;
    double elems = (double)g.n * g.c * g.h * g.w + (double)g.k * (g.c / g.groups) * g.r * g.s +
                   (double)g.n * g.k * g.p * g.q;
    return aib_cuda_check_mem(dev, elems * es, "this convolution", err);
}

static void conv_cuda_work(const void *params, struct aib_work *out)
{
    struct aib_gpu_conv g;
    struct aib_err err = {0};
    memset(out, 0, sizeof *out);
    if (geom(params, &g, &err) == 0) /* validated before any work is asked */
        out->flops = aib_gpu_conv_flops(&g);
}

static int conv_cuda_setup(const struct aib_device *dev, const void *params, void **state, struct aib_err *err)
{
    const struct conv_cuda_params *p = params;
    struct aib_gpu_conv g;
    struct aib_work work;
    struct aib_cuda_state *s;
    char why[512] = "";
    int rc = geom(p, &g, err);
    if (rc)
        return rc;
    struct aib_cuda_conv_args a = {.impl = p->impl, .precision = prec_of[p->precision], .n = (int)g.n,
                                   .c = (int)g.c, .h = (int)g.h, .w = (int)g.w, .k = (int)g.k, .r = (int)g.r,
                                   .s = (int)g.s, .stride = (int)g.stride, .pad = (int)g.pad,
                                   .dilation = (int)g.dilation, .groups = (int)g.groups};
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
