/* The explicit list of workloads (one line each in registry.c). */
#ifndef AIB_REGISTRY_H
#define AIB_REGISTRY_H

#include <stddef.h>

#include "../workloads/workload.h"
#include "err.h"

const struct aib_workload_ops *const *aib_registry_workloads(size_t *n);
const struct aib_workload_ops *aib_registry_find(const char *name);
/* Start-up check: abi, required hooks, unique names, parameter tables. */
int aib_registry_check(struct aib_err *err);

#endif
