#include "registry.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern const struct aib_workload_ops aib_matmul_cpu;
extern const struct aib_workload_ops aib_conv_cpu;
extern const struct aib_workload_ops aib_membw_cpu;
extern const struct aib_workload_ops aib_peak_cpu;
extern const struct aib_workload_ops aib_io_cpu;
extern const struct aib_workload_ops aib_net_cpu;
extern const struct aib_workload_ops aib_matmul_cuda;
extern const struct aib_workload_ops aib_matmul_opencl;
extern const struct aib_workload_ops aib_conv_cuda;
extern const struct aib_workload_ops aib_membw_cuda;
extern const struct aib_workload_ops aib_transfer_cuda;
extern const struct aib_workload_ops aib_conv_opencl;
extern const struct aib_workload_ops aib_membw_opencl;
extern const struct aib_workload_ops aib_transfer_opencl;

/* Every workload, one line each. */
static const struct aib_workload_ops *const workloads[] = {
    &aib_matmul_cpu,
    &aib_conv_cpu,
    &aib_membw_cpu,
    &aib_peak_cpu,
    &aib_io_cpu,
    &aib_net_cpu,
    &aib_matmul_cuda,
    &aib_matmul_opencl,
    &aib_conv_cuda,
    &aib_membw_cuda,
    &aib_transfer_cuda,
    &aib_conv_opencl,
    &aib_membw_opencl,
    &aib_transfer_opencl,
};

const struct aib_workload_ops *const *aib_registry_workloads(size_t *n)
{
    *n = sizeof workloads / sizeof workloads[0];
    return workloads;
}

const struct aib_workload_ops *aib_registry_find(const char *name)
{
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        if (strcmp(workloads[i]->name, name) == 0)
            return workloads[i];
    return NULL;
}

const struct aib_workload_ops *aib_registry_find_for(const char *name, unsigned kind)
{
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        if (strcmp(workloads[i]->name, name) == 0 && (workloads[i]->devices & kind))
            return workloads[i];
    return NULL;
}

void aib_registry_names(char *buf, size_t len)
{
    size_t used = 0, n = sizeof workloads / sizeof workloads[0];
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= strcmp(workloads[j]->name, workloads[i]->name) == 0;
        if (seen)
            continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", workloads[i]->name);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
    }
}

int aib_registry_check(struct aib_err *err)
{
    size_t n = sizeof workloads / sizeof workloads[0];
    for (size_t i = 0; i < n; i++) {
        const struct aib_workload_ops *w = workloads[i];
        if (w->abi != AIB_WORKLOAD_ABI)
            return aib_err_set(err, AIB_ERUN, "workload %s: abi %d, expected %d", w->name, w->abi,
                               AIB_WORKLOAD_ABI);
        if (!w->name || !w->setup || !w->run || !w->verify || !w->work || !w->teardown ||
            !w->devices || !w->params.decl || w->params.size == 0)
            return aib_err_set(err, AIB_ERUN, "workload %s: a required hook is missing",
                               w->name ? w->name : "(unnamed)");
        for (size_t j = 0; j < i; j++)
            if (strcmp(workloads[j]->name, w->name) == 0 && (workloads[j]->devices & w->devices))
                return aib_err_set(err, AIB_ERUN, "workload %s registered twice for one device kind",
                                   w->name);
        char scratch[4096];
        if (w->params.size > sizeof scratch)
            return aib_err_set(err, AIB_ERUN, "workload %s: params struct too large", w->name);
        /* Every default must parse and be in range. */
        int rc = aib_params_defaults(&w->params, scratch, err);
        if (rc)
            return aib_err_prefix(err, "workload %s: bad default", w->name);
    }
    return 0;
}
