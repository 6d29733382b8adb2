#include "env.h"

#include <hwloc.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <yaml.h>

#include "version.h"

const char *aib_version_string(char *buf, size_t len)
{
    snprintf(buf, len, "aibench %s (commit %s, built with gcc %s, flags %s)", AIB_VERSION,
             AIB_GIT_COMMIT, __VERSION__, AIB_CFLAGS);
    return buf;
}

static void os_release(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/etc/os-release", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
            char *v = line + 12;
            v[strcspn(v, "\n")] = '\0';
            if (*v == '"') {
                v++;
                v[strcspn(v, "\"")] = '\0';
            }
            snprintf(buf, len, "%s", v);
            break;
        }
    }
    fclose(f);
}

int aib_env_collect(struct aib_kvlist *env, const struct aib_plan *plan,
                    const struct aib_devlist *devs)
{
    int rc = 0;
    char buf[512];
    struct utsname u;
    if (uname(&u) == 0) {
        rc |= aib_kv_set(env, "host", u.nodename);
        rc |= aib_kv_setf(env, "kernel", "%s %s %s", u.sysname, u.release, u.machine);
    }
    os_release(buf, sizeof buf);
    rc |= aib_kv_set(env, "os", buf);
    rc |= aib_kv_set(env, "aibench.version", AIB_VERSION);
    rc |= aib_kv_set(env, "aibench.commit", AIB_GIT_COMMIT);
    rc |= aib_kv_setf(env, "compiler", "gcc %s", __VERSION__);
    rc |= aib_kv_set(env, "cflags", AIB_CFLAGS);
    rc |= aib_kv_set(env, "lib.sqlite", sqlite3_libversion());
    unsigned hv = hwloc_get_api_version();
    rc |= aib_kv_setf(env, "lib.hwloc", "%u.%u.%u", hv >> 16, (hv >> 8) & 0xff, hv & 0xff);
    rc |= aib_kv_set(env, "lib.yaml", yaml_get_version_string());
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    rc |= aib_kv_setf(env, "online_cpus", "%ld", ncpu);
    for (size_t b = 0; b < devs->nbackends; b++) {
        const struct aib_backend_status *st = &devs->backends[b];
        snprintf(buf, sizeof buf, "backend.%s", st->name);
        rc |= aib_kv_setf(env, buf, "%s%s%s", st->available ? "available" : "unavailable",
                          st->reason[0] ? ": " : "", st->reason);
    }
    /* The properties of every device this run uses, once each. */
    for (size_t i = 0; i < plan->len; i++) {
        const struct aib_device *d = plan->items[i].dev;
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= plan->items[j].dev == d;
        if (seen)
            continue;
        snprintf(buf, sizeof buf, "device.%s.name", d->id);
        rc |= aib_kv_set(env, buf, d->name);
        for (size_t p = 0; p < d->props.len; p++) {
            snprintf(buf, sizeof buf, "device.%s.%s", d->id, d->props.items[p].key);
            rc |= aib_kv_set(env, buf, d->props.items[p].value);
        }
    }
    return rc ? AIB_ENOMEM : 0;
}
