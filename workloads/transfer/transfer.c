#include "transfer.h"

#include <string.h>
#include <unistd.h>

#include "../gpu_common.h"

const struct aib_param aib_transfer_decl[AIB_TRANSFER_NPARAMS] = {
    {"direction", AIB_PT_ENUM, offsetof(struct aib_transfer_params, direction), "h2d", 0, 0, "h2d|d2h|d2d",
     "host-to-device, device-to-host or device-to-device"},
    {"memory", AIB_PT_ENUM, offsetof(struct aib_transfer_params, memory), "pinned", 0, 0, "pageable|pinned",
     "host memory: pageable (malloc) or pinned (page-locked); ignored for d2d"},
    {"size", AIB_PT_SIZE, offsetof(struct aib_transfer_params, size), "64M", 1, 1099511627776.0, NULL,
     "bytes per copy (sweep e.g. 4k,64k,1M,16M,256M,1G)"},
};

void aib_transfer_work(const void *params, struct aib_work *out)
{
    const struct aib_transfer_params *p = params;
    memset(out, 0, sizeof *out);
    out->bytes = (double)p->size * (p->direction == AIB_TRANSFER_D2D ? 2 : 1);
}

int aib_transfer_check_host(const struct aib_transfer_params *p, struct aib_err *err)
{
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    double host = pages > 0 && psz > 0 ? (double)pages * (double)psz : 0;
    if (p->direction != AIB_TRANSFER_D2D && host > 0 && (double)p->size > 0.8 * host) {
        char need[32], have[32];
        aib_gpu_fmt_bytes((double)p->size, need, sizeof need);
        aib_gpu_fmt_bytes(host, have, sizeof have);
        return aib_err_set(err, AIB_EUSAGE, "transfer size=%s needs a host buffer over 80%% of the %s of host memory",
                           need, have);
    }
    return 0;
}
