/* The one interface between the main binary (plain C, no CUDA libraries)
 * and the CUDA plugin (aibench-cuda.so, built with nvcc). The main binary
 * dlopen()s the plugin, looks up AIB_CUDA_PLUGIN_SYMBOL and refuses a table
 * whose abi differs from AIB_CUDA_PLUGIN_ABI. Bump the ABI whenever a
 * struct below changes layout or a hook changes meaning; new hooks are
 * appended at the end of struct aib_cuda_plugin.
 *
 * ABI 2 adds workloads as "jobs": a job owns everything one benchmark entry
 * needs on one GPU (buffers, host copies of the inputs, library handles,
 * a stream and two events). The plugin links only the static CUDA runtime;
 * cuBLAS, cuBLASLt and cuDNN are dlopen()ed at first use, so the plugin
 * loads where none of them (and no driver) is installed. */
#ifndef AIB_CUDA_PLUGIN_H
#define AIB_CUDA_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIB_CUDA_PLUGIN_ABI 2
#define AIB_CUDA_PLUGIN_SYMBOL "aib_cuda_plugin_get"

struct aib_cuda_devinfo {
    char name[256];
    int cc_major, cc_minor;     /* compute capability */
    int sm_count;
    uint64_t total_mem;         /* bytes */
    int sm_clock_khz;           /* peak SM clock */
    int mem_clock_khz;          /* peak memory clock */
    int mem_bus_width;          /* bits */
    char pci_bus_id[32];        /* "0000:3b:00.0" (lower case, as in sysfs) */
    int pcie_gen, pcie_width;   /* current link from sysfs; -1 when unreadable */
    int driver_version;         /* cudaDriverGetVersion, e.g. 13000; 0 without a driver */
    int runtime_version;        /* cudaRuntimeGetVersion of the cudart linked in */
};

/* Element types. Matmul inputs are of this type; the output is the same
 * type except int8 (int32 out) and fp8 e4m3 (bf16 out). Accumulation is in
 * fp64 for fp64, int32 for int8 and fp32 otherwise (tf32 rounds the fp32
 * inputs to a 10-bit mantissa inside the tensor cores). */
enum aib_cuda_prec {
    AIB_CUDA_FP64,
    AIB_CUDA_FP32,
    AIB_CUDA_TF32,
    AIB_CUDA_FP16,
    AIB_CUDA_BF16,
    AIB_CUDA_INT8,
    AIB_CUDA_FP8, /* e4m3 */
};

enum aib_cuda_matmul_impl {
    AIB_CUDA_MM_CUBLAS,   /* cublasGemmEx */
    AIB_CUDA_MM_CUBLASLT, /* cublasLtMatmul, best heuristic algorithm, 32 MiB workspace */
    AIB_CUDA_MM_NATIVE,   /* aibench's kernels: SIMT tiles (fp64/fp32), WMMA tensor cores (fp16/bf16) */
};

/* C (m x n) = A (m x k) * B (k x n), row-major. B is stored column-major
 * (as n x k) for int8 and fp8, the layout their tensor-core paths need. */
struct aib_cuda_matmul_args {
    int impl;      /* enum aib_cuda_matmul_impl */
    int precision; /* enum aib_cuda_prec */
    int64_t m, n, k;
};

enum aib_cuda_conv_impl { AIB_CUDA_CONV_CUDNN, AIB_CUDA_CONV_NATIVE };

/* Forward convolution, NCHW input, KCRS filters (C per group), NKPQ output. */
struct aib_cuda_conv_args {
    int impl;      /* enum aib_cuda_conv_impl */
    int precision; /* AIB_CUDA_FP32, FP16 or BF16; fp32 accumulation */
    int n, c, h, w, k, r, s, stride, pad, dilation, groups;
};

enum aib_cuda_membw_op { AIB_MEMBW_READ, AIB_MEMBW_COPY, AIB_MEMBW_SCALE, AIB_MEMBW_ADD, AIB_MEMBW_TRIAD };

/* STREAM kernels on fp32 arrays of `bytes` each: read (sum), copy c=a,
 * scale b=q*c, add c=a+b, triad a=b+q*c. */
struct aib_cuda_membw_args {
    int op; /* enum aib_cuda_membw_op */
    int64_t bytes;
};

enum aib_cuda_xfer_dir { AIB_XFER_H2D, AIB_XFER_D2H, AIB_XFER_D2D };

struct aib_cuda_transfer_args {
    int direction; /* enum aib_cuda_xfer_dir */
    int pinned;    /* host memory from cudaMallocHost (1) or malloc (0) */
    int64_t bytes;
};

struct aib_cuda_job; /* opaque, owned by the caller from create to destroy */

struct aib_cuda_plugin {
    int abi;          /* AIB_CUDA_PLUGIN_ABI of the plugin's build */
    const char *name; /* e.g. "aibench-cuda (CUDA runtime 13.0)" */
    /* Returns the number of CUDA devices (>= 0), or -1 with the reason
     * in errbuf (no driver, no device, ...). Call before anything else. */
    int (*init)(char *errbuf, size_t errlen);
    /* Fills *out for device idx; 0 or -1 with the reason in errbuf. */
    int (*device_info)(int idx, struct aib_cuda_devinfo *out, char *errbuf, size_t errlen);
    /* Releases what init() set up; safe to call after a failed init. */
    void (*shutdown)(void);

    /* ABI 2: workloads. create() allocates and fills the inputs on device
     * `device`; 0, or -1 with the reason in errbuf (every CUDA, cuBLAS and
     * cuDNN status is checked) and *job left NULL. */
    int (*matmul_create)(int device, const struct aib_cuda_matmul_args *a, struct aib_cuda_job **job,
                         char *errbuf, size_t errlen);
    int (*conv_create)(int device, const struct aib_cuda_conv_args *a, struct aib_cuda_job **job,
                       char *errbuf, size_t errlen);
    int (*membw_create)(int device, const struct aib_cuda_membw_args *a, struct aib_cuda_job **job,
                        char *errbuf, size_t errlen);
    int (*transfer_create)(int device, const struct aib_cuda_transfer_args *a,
                           struct aib_cuda_job **job, char *errbuf, size_t errlen);
    /* Enqueues `iters` iterations on the job's stream between two CUDA
     * events, waits for the second, and stores the event-measured seconds
     * for all of them in *device_s. 0 or -1 with the reason. */
    int (*job_run)(struct aib_cuda_job *job, uint64_t iters, double *device_s, char *errbuf,
                   size_t errlen);
    /* Checks the last answer against a CPU reference on sampled elements:
     * 0, or -1 with the first wrong element (or the CUDA error) in errbuf. */
    int (*job_verify)(struct aib_cuda_job *job, char *errbuf, size_t errlen);
    /* One line on how the work is done ("cublasLt algo 6 ...", "wmma 128x128x32"). */
    void (*job_describe)(const struct aib_cuda_job *job, char *buf, size_t len);
    /* Frees everything the job owns; NULL is ignored. */
    void (*job_destroy)(struct aib_cuda_job *job);
};

typedef const struct aib_cuda_plugin *(*aib_cuda_plugin_get_fn)(void);

/* The plugin's only exported symbol (named by AIB_CUDA_PLUGIN_SYMBOL). */
const struct aib_cuda_plugin *aib_cuda_plugin_get(void);

#ifdef __cplusplus
}
#endif

#endif
