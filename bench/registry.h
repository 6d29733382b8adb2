/* The explicit list of workloads (one line each in registry.c). */
#ifndef AIB_REGISTRY_H
#define AIB_REGISTRY_H

#include <stddef.h>

#include "../workloads/workload.h"
#include "err.h"

const struct aib_workload_ops *const *aib_registry_workloads(size_t *n);
/* A workload name may have one table per device kind (matmul on cpu, on
 * cuda, on opencl), each with its own parameters. find() returns the first
 * table of that name (to check the name exists); find_for() the one that
 * runs on `kind`, or NULL. */
const struct aib_workload_ops *aib_registry_find(const char *name);
const struct aib_workload_ops *aib_registry_find_for(const char *name, unsigned kind);
/* Comma-separated distinct workload names, for messages. */
void aib_registry_names(char *buf, size_t len);
/* Start-up check: abi, required hooks, unique names, parameter tables. */
int aib_registry_check(struct aib_err *err);

#endif
