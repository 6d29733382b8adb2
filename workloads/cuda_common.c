#include "cuda_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../devices/cuda.h"

static const char *const prec_names[] = {"fp64", "fp32", "tf32", "fp16", "bf16", "int8", "fp8"};

const char *aib_cuda_prec_name(int prec)
{
    return prec >= 0 && prec <= AIB_CUDA_FP8 ? prec_names[prec] : "unknown";
}

int aib_cuda_cc(const struct aib_device *dev, int *major, int *minor, struct aib_err *err)
{
    const char *cc = aib_kv_get(&dev->props, "compute_capability");
    if (!cc || sscanf(cc, "%d.%d", major, minor) != 2)
        return aib_err_set(err, AIB_EUSAGE, "%s: compute capability unknown (not a discovered CUDA device)",
                           dev->id);
    return 0;
}

int aib_cuda_check(const struct aib_device *dev, int prec, bool own_kernels, struct aib_err *err)
{
    int maj, min;
    int rc = aib_cuda_cc(dev, &maj, &min, err);
    if (rc)
        return rc;
    int cc = maj * 10 + min;
    const char *p = aib_cuda_prec_name(prec);
    if ((prec == AIB_CUDA_BF16 || prec == AIB_CUDA_TF32) && cc < 80)
        return aib_err_set(err, AIB_EUSAGE, "%s (%s, compute capability %d.%d) cannot do %s: it needs 8.0 (Ampere) or newer",
                           dev->id, dev->name, maj, min, p);
    if (prec == AIB_CUDA_FP8 && cc < 89)
        return aib_err_set(err, AIB_EUSAGE, "%s (%s, compute capability %d.%d) cannot do fp8: it needs 8.9 (Ada) or newer",
                           dev->id, dev->name, maj, min);
    if (own_kernels && cc < 90)
        return aib_err_set(err, AIB_EUSAGE, "%s (%s, compute capability %d.%d): aibench's own CUDA kernels are built for "
                           "sm_90 and newer (use the library implementation)",
                           dev->id, dev->name, maj, min);
    return 0;
}

int aib_cuda_check_mem(const struct aib_device *dev, double bytes, const char *what, struct aib_err *err)
{
    if (dev->mem_bytes && bytes > 0.9 * (double)dev->mem_bytes) {
        char need[32], have[32];
        aib_gpu_fmt_bytes(bytes, need, sizeof need);
        aib_gpu_fmt_bytes((double)dev->mem_bytes, have, sizeof have);
        return aib_err_set(err, AIB_EUSAGE, "%s needs %s of GPU memory, more than 90%% of the %s on %s", what, need,
                           have, dev->id);
    }
    return 0;
}

int aib_cuda_state_new(const struct aib_device *dev, const struct aib_work *work,
                       struct aib_cuda_state **out, struct aib_err *err)
{
    const struct aib_cuda_plugin *pl = aib_cuda_plugin_of(dev);
    *out = NULL;
    if (!pl)
        return aib_err_set(err, AIB_EUNAVAIL, "%s: the CUDA plugin is not loaded for this device", dev->id);
    struct aib_cuda_state *s = calloc(1, sizeof *s);
    if (!s)
        return aib_err_set(err, AIB_ENOMEM, "out of memory");
    s->pl = pl;
    s->work = *work;
    *out = s;
    return 0;
}

int aib_cuda_state_created(struct aib_cuda_state *s, int rc, const char *why, void **state,
                           struct aib_err *err)
{
    if (rc != 0 || !s->job) {
        aib_err_set(err, AIB_ERUN, "%s", why && why[0] ? why : "CUDA plugin: job creation failed");
        aib_cuda_teardown(s);
        return AIB_ERUN;
    }
    s->pl->job_describe(s->job, s->how, sizeof s->how);
    *state = s;
    return 0;
}

int aib_cuda_run(void *state, uint64_t iters, struct aib_err *err)
{
    struct aib_cuda_state *s = state;
    char why[512] = "";
    double secs = 0;
    if (s->pl->job_run(s->job, iters, &secs, why, sizeof why) != 0)
        return aib_err_set(err, AIB_ERUN, "%s", why[0] ? why : "CUDA job failed");
    return aib_devtime_add(&s->dt, secs, iters, err);
}

int aib_cuda_verify(void *state, struct aib_err *err)
{
    struct aib_cuda_state *s = state;
    char why[512] = "";
    if (s->pl->job_verify(s->job, why, sizeof why) != 0)
        return aib_err_set(err, AIB_EVERIFY, "%s", why[0] ? why : "verification failed");
    aib_devtime_verified(&s->dt);
    return 0;
}

int aib_cuda_metrics(void *state, struct aib_result *r, struct aib_err *err)
{
    struct aib_cuda_state *s = state;
    return aib_devtime_metrics(&s->dt, &s->work, s->how, r, err);
}

void aib_cuda_teardown(void *state)
{
    struct aib_cuda_state *s = state;
    if (!s)
        return;
    if (s->job)
        s->pl->job_destroy(s->job);
    aib_devtime_free(&s->dt);
    free(s);
}
