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
 * loads where none of them (and no driver) is installed.
 *
 * ABI 3 adds CUPTI (cuda/cupti_*.cu): the host-side metric API (chips,
 * metric lists, validation, pass counts; works with no GPU), and a
 * profiling session per benchmark entry: PM sampling during the timed
 * samples, then, on the job the entry created, an Activity-API kernel trace
 * and the Range Profiler, each over a replay of one timed sample's
 * iterations. libcupti and libnvperf_host are dlopen()ed at first use, so
 * the plugin still loads where CUPTI is absent. */
#ifndef AIB_CUDA_PLUGIN_H
#define AIB_CUDA_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIB_CUDA_PLUGIN_ABI 3
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

/* --- ABI 3: CUPTI ---------------------------------------------------------- */

#define AIB_CUPTI_EBADNAME (-2)

enum aib_cupti_kind { AIB_CUPTI_RANGE = 0, AIB_CUPTI_PM = 1 };
enum aib_cupti_mtype { AIB_CUPTI_COUNTER = 0, AIB_CUPTI_RATIO = 1, AIB_CUPTI_THROUGHPUT = 2 };

struct aib_cupti_metric_info {
    const char *name;        /* base metric: "dram__bytes_read" */
    int type;                /* enum aib_cupti_mtype */
    const char *description; /* "# of bytes read from DRAM" */
    const char *hw_unit;     /* "dram" */
    const char *dim_unit;    /* "byte" */
};

struct aib_cupti_config {
    const char *const *range; /* Range Profiler metrics; n_range == 0: the default set */
    size_t n_range;
    const char *const *pm;    /* PM-sampling metrics (one pass); n_pm == 0: the default set */
    size_t n_pm;
    double interval_s;        /* PM sampling period */
};

/* One metric value: over the replayed iterations (range profiler) or a
 * sampled series (PM sampling: t in seconds since the report's pm_t0). */
struct aib_cupti_value {
    const char *name;  /* the CUPTI metric ("dram__bytes_read.sum") */
    const char *unit;  /* its dimension ("byte", "nanosecond", "percent", "byte/second") */
    double value;      /* range profiler: over all `iters` replayed iterations */
    const double *t, *v; /* PM sampling: the points */
    size_t n;
};

struct aib_cupti_kernel {
    const char *name;   /* demangled when possible */
    uint64_t launches;
    double total_s, min_s, max_s;
};

/* NULL *_missing: that part measured; else the one-line reason it did not. */
struct aib_cupti_report {
    const char *chip;
    /* Range Profiler (user range, user replay) over a replay of `iters`
     * iterations, the iterations of one timed sample. */
    const char *range_missing;
    uint64_t iters;
    size_t passes, ranges, dropped_ranges;
    const struct aib_cupti_value *range;
    size_t n_range;
    /* Activity API kernel trace over another replay of `iters` iterations;
     * kernels sorted by total time, longest first. */
    const char *trace_missing;
    const struct aib_cupti_kernel *kernels;
    size_t n_kernels;
    uint64_t launches, dropped_records;
    /* PM sampling during the timed samples. */
    const char *pm_missing;
    double pm_t0;                /* unix seconds of t = 0 (cupti_start) */
    double interval_s;
    const struct aib_cupti_value *pm;
    size_t n_pm;
    size_t pm_samples, pm_lost;  /* samples kept; samples lost (overflow, empty) */
};

struct aib_cupti_session; /* opaque, owned by the caller from cupti_open to cupti_close */

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

    /* ABI 3: CUPTI. Every hook returns 0, or -1 with one line in errbuf;
     * hooks that take metric names return AIB_CUPTI_EBADNAME when a name
     * (or the chip) is not known to CUPTI, the message naming it. */
    /* Loads libnvperf_host and libcupti (see cuda/cupti_lib.cu for where it
     * looks); on success `where` says which files and CUPTI's version. */
    int (*cupti_load)(char *where, size_t wlen, char *errbuf, size_t errlen);
    /* The chips CUPTI's host API supports, comma-separated ("GV100,...,GH100,..."). */
    int (*cupti_chips)(char *buf, size_t len, char *errbuf, size_t errlen);
    /* The chip of CUDA device `device` ("GH100"). Only after init() found it. */
    int (*cupti_device_chip)(int device, char *chip, size_t len, char *errbuf, size_t errlen);
    /* Calls each() for every base metric of `chip` for profiler `kind`
     * (enum aib_cupti_kind), with its properties; the strings are valid
     * during the call only. */
    int (*cupti_metrics)(const char *chip, int kind,
                         void (*each)(void *ctx, const struct aib_cupti_metric_info *m), void *ctx,
                         char *errbuf, size_t errlen);
    /* Checks a metric set for `chip` and `kind` (unknown name, a base name
     * without a rollup, names that cannot be collected together) and counts
     * the replay passes it needs in *passes. */
    int (*cupti_check)(const char *chip, int kind, const char *const *names, size_t n, size_t *passes,
                       char *errbuf, size_t errlen);
    /* The default metric set of `kind`, comma-separated (static storage). */
    const char *(*cupti_defaults)(int kind);
    /* A profiling session for one benchmark entry on `device` (call before
     * the entry's job is created: the session takes the next job created on
     * that device). Parts that cannot work here (no permission, a chip CUPTI
     * does not know) are not an error: the report says why they are missing. */
    int (*cupti_open)(int device, const struct aib_cupti_config *cfg, struct aib_cupti_session **s,
                      char *errbuf, size_t errlen);
    /* Just before the first timed sample: PM sampling starts. */
    int (*cupti_start)(struct aib_cupti_session *s, char *errbuf, size_t errlen);
    /* Right after the last timed sample: PM sampling stops, then the kernel
     * trace and the Range Profiler replay the job (outside the timed samples). */
    int (*cupti_stop)(struct aib_cupti_session *s, char *errbuf, size_t errlen);
    /* What the session measured, valid until cupti_close. */
    const struct aib_cupti_report *(*cupti_report)(const struct aib_cupti_session *s);
    /* Frees the session (stopping it first if needed); NULL is ignored. */
    void (*cupti_close)(struct aib_cupti_session *s);
};

typedef const struct aib_cuda_plugin *(*aib_cuda_plugin_get_fn)(void);

/* The plugin's only exported symbol (named by AIB_CUDA_PLUGIN_SYMBOL). */
const struct aib_cuda_plugin *aib_cuda_plugin_get(void);

#ifdef __cplusplus
}
#endif

#endif
