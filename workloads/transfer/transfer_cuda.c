/* transfer on a CUDA GPU: cudaMemcpyAsync host-to-device, device-to-host
 * (pageable malloc memory or pinned cudaMallocHost memory) and
 * device-to-device. GB/s counts the bytes copied; device-to-device counts
 * them read and written (2 x size), as copy bandwidth is usually quoted. */
#include <string.h>

#include "../cuda_common.h"
#include "transfer.h"

static int transfer_cuda_validate(const struct aib_device *dev, const void *params, struct aib_err *err)
{
    const struct aib_transfer_params *p = params;
    int rc = aib_transfer_check_host(p, err);
    if (rc || (rc = aib_cuda_check(dev, AIB_CUDA_FP32, p->direction != AIB_XFER_H2D, err)))
        return rc;
    return aib_cuda_check_mem(dev, (double)p->size * (p->direction == AIB_XFER_D2D ? 2 : 1), "this transfer", err);
}

static int transfer_cuda_setup(const struct aib_device *dev, const void *params, void **state,
                               struct aib_err *err)
{
    const struct aib_transfer_params *p = params;
    struct aib_cuda_transfer_args a = {.direction = p->direction, .pinned = p->memory, .bytes = p->size};
    struct aib_work work;
    struct aib_cuda_state *s;
    char why[512] = "";
    aib_transfer_work(params, &work);
    int rc = aib_cuda_state_new(dev, &work, &s, err);
    if (rc)
        return rc;
    rc = s->pl->transfer_create(dev->index, &a, &s->job, why, sizeof why);
    return aib_cuda_state_created(s, rc, why, state, err);
}

const struct aib_workload_ops aib_transfer_cuda = {
    .name = "transfer",
    .abi = AIB_WORKLOAD_ABI,
    .devices = AIB_DEV_CUDA,
    .summary = "host<->device and device-to-device copies (GB/s; d2d counts read + written), CUDA-event timed, "
               "verified",
    .params = {"transfer", aib_transfer_decl, AIB_TRANSFER_NPARAMS, sizeof(struct aib_transfer_params)},
    .validate = transfer_cuda_validate,
    .setup = transfer_cuda_setup,
    .run = aib_cuda_run,
    .verify = aib_cuda_verify,
    .work = aib_transfer_work,
    .metrics = aib_cuda_metrics,
    .teardown = aib_cuda_teardown,
};

_Static_assert((int)AIB_TRANSFER_H2D == (int)AIB_XFER_H2D && (int)AIB_TRANSFER_D2H == (int)AIB_XFER_D2H &&
                   (int)AIB_TRANSFER_D2D == (int)AIB_XFER_D2D,
               "the parameter's choices are the plugin's directions");
