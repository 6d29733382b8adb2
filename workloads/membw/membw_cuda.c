/* membw on a CUDA GPU: STREAM kernels over fp32 arrays in device memory
 * (read: a sum, copy c=a, scale b=q*c, add c=a+b, triad a=b+q*c), 16-byte
 * accesses. Bytes are counted the STREAM way (the arrays the kernel names,
 * no extra traffic): 4, 8, 8, 12, 12 bytes per element. `size` is the
 * working set of the arrays the kernel touches, as on the CPU. */
#include <stdio.h>
#include <string.h>

#include "../cuda_common.h"

struct membw_cuda_params {
    int kernel; /* enum aib_cuda_membw_op */
    int64_t size;
};

static const struct aib_param membw_cuda_decl[] = {
    {"kernel", AIB_PT_ENUM, offsetof(struct membw_cuda_params, kernel), "triad", 0, 0,
     "read|copy|scale|add|triad",
     "read sum(a) (4 B/element); copy c=a, scale b=q*c (8 B); add c=a+b, triad a=b+q*c (12 B)"},
    {"size", AIB_PT_SIZE, offsetof(struct membw_cuda_params, size), "0", 0, 1099511627776.0, NULL,
     "working set of the arrays the kernel touches (0: 1 GiB per array)"},
};

static const int arrays_of[] = {1, 2, 2, 3, 3};

/* Bytes of each array: size / arrays, a multiple of 16 (float4 accesses). */
static int64_t array_bytes(const struct membw_cuda_params *p)
{
    if (p->size == 0)
        return 1ll << 30;
    return p->size / arrays_of[p->kernel] / 16 * 16;
}

static int membw_cuda_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct membw_cuda_params *p = params;
    int64_t ab = array_bytes(p);
    if (ab < 4096)
        return aib_err_set(err, AIB_EUSAGE, "membw size=%lld is too small: at least 4 KiB per array (%d arrays)",
                           (long long)p->size, arrays_of[p->kernel]);
    int rc = aib_cuda_check(dev, AIB_CUDA_FP32, true, err);
    /* The job keeps all three arrays, whichever the kernel touches. */
    return rc ? rc : aib_cuda_check_mem(dev, 3.0 * (double)ab, "membw (three arrays)", err);
}

static void membw_cuda_work(const void *params, struct aib_work *out)
{
    const struct membw_cuda_params *p = params;
    memset(out, 0, sizeof *out);
    out->bytes = (double)array_bytes(p) * arrays_of[p->kernel];
}

static int membw_cuda_setup(const struct aib_device *dev, const void *params, void **state, struct aib_err *err)
{
    const struct membw_cuda_params *p = params;
    struct aib_cuda_membw_args a = {.op = p->kernel, .bytes = array_bytes(p)};
    struct aib_work work;
    struct aib_cuda_state *s;
    char why[512] = "";
    membw_cuda_work(params, &work);
    int rc = aib_cuda_state_new(dev, &work, &s, err);
    if (rc)
        return rc;
    rc = s->pl->membw_create(dev->index, &a, &s->job, why, sizeof why);
    return aib_cuda_state_created(s, rc, why, state, err);
}

const struct aib_workload_ops aib_membw_cuda = {
    .name = "membw",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_CUDA,
    .summary = "GPU memory bandwidth, STREAM kernels on device memory (GB/s), CUDA-event timed, verified",
    .params = {"membw", membw_cuda_decl, sizeof membw_cuda_decl / sizeof membw_cuda_decl[0],
               sizeof(struct membw_cuda_params)},
    .validate = membw_cuda_validate,
    .setup = membw_cuda_setup,
    .run = aib_cuda_run,
    .verify = aib_cuda_verify,
    .work = membw_cuda_work,
    .metrics = aib_cuda_metrics,
    .teardown = aib_cuda_teardown,
};
