/* The transfer workload's parameters, shared by its CUDA and OpenCL
 * variants: direction, host memory kind and size. */
#ifndef AIB_TRANSFER_H
#define AIB_TRANSFER_H

#include "../workload.h"

/* Same order as enum aib_cuda_xfer_dir. */
enum { AIB_TRANSFER_H2D, AIB_TRANSFER_D2H, AIB_TRANSFER_D2D };

struct aib_transfer_params {
    int direction; /* h2d|d2h|d2d */
    int memory;    /* 0 pageable, 1 pinned */
    int64_t size;  /* bytes per copy */
};

#define AIB_TRANSFER_NPARAMS 3
extern const struct aib_param aib_transfer_decl[AIB_TRANSFER_NPARAMS];

/* bytes = size (h2d, d2h) or 2 x size (d2d: read and written). */
void aib_transfer_work(const void *params, struct aib_work *out);
/* AIB_EUSAGE when the host buffer would not fit in 80% of host memory. */
int aib_transfer_check_host(const struct aib_transfer_params *p, struct aib_err *err);

#endif
