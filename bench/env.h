/* The environment a run records: host, kernel, CPU model and governor,
 * compiler and flags, aibench version and commit, library versions, and
 * the properties of each device the run uses. */
#ifndef AIB_ENV_H
#define AIB_ENV_H

#include "../devices/device.h"
#include "kv.h"
#include "plan.h"

int aib_env_collect(struct aib_kvlist *env, const struct aib_plan *plan,
                    const struct aib_devlist *devs);
/* "aibench 0.1.0 (commit abc, gcc 12.2.0)" */
const char *aib_version_string(char *buf, size_t len);

#endif
