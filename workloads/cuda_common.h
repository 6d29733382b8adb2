/* What the CUDA workloads share: the plugin behind the device, checks of
 * what the GPU can do (from its compute capability), and the run, verify,
 * metrics and teardown hooks, which only forward to the plugin's job. */
#ifndef AIB_CUDA_COMMON_H
#define AIB_CUDA_COMMON_H

#include "../cuda/aib_cuda_plugin.h"
#include "gpu_common.h"

/* "fp64", "fp32", "tf32", "fp16", "bf16", "int8", "fp8" (enum aib_cuda_prec). */
const char *aib_cuda_prec_name(int prec);
/* Compute capability from the device's properties; AIB_EUSAGE when the
 * device has none (not a discovered CUDA device). */
int aib_cuda_cc(const struct aib_device *dev, int *major, int *minor, struct aib_err *err);
/* AIB_EUSAGE when the GPU cannot do `prec` (bf16/tf32 before cc 8.0, fp8
 * before 8.9) or when aibench's own kernels are needed (`own_kernels`) and
 * the plugin has no code for it (built for sm_90 + PTX: cc 9.0 and up). */
int aib_cuda_check(const struct aib_device *dev, int prec, bool own_kernels, struct aib_err *err);
/* AIB_EUSAGE when `bytes` of buffers do not fit in 90% of the GPU memory. */
int aib_cuda_check_mem(const struct aib_device *dev, double bytes, const char *what, struct aib_err *err);

struct aib_cuda_state {
    const struct aib_cuda_plugin *pl;
    struct aib_cuda_job *job;
    struct aib_work work;
    struct aib_devtime dt;
    char how[256];
};
/* Allocates the state for dev (AIB_EUNAVAIL when no plugin is loaded). */
int aib_cuda_state_new(const struct aib_device *dev, const struct aib_work *work,
                       struct aib_cuda_state **out, struct aib_err *err);
/* After a create hook: 0, or AIB_ERUN with the plugin's reason (and the
 * state freed). */
int aib_cuda_state_created(struct aib_cuda_state *s, int rc, const char *why, void **state,
                           struct aib_err *err);

int aib_cuda_run(void *state, uint64_t iters, struct aib_err *err);
int aib_cuda_verify(void *state, struct aib_err *err);
int aib_cuda_metrics(void *state, struct aib_result *r, struct aib_err *err);
void aib_cuda_teardown(void *state);

#endif
