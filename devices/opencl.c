/* OpenCL backend: every device of every platform the ICD loader finds.
 * No platforms (no vendor driver installed) is a normal "no devices"
 * answer, not an error. */
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>
#include <CL/cl_ext.h>

#include "device.h"

#include <stdlib.h>
#include <string.h>

#ifndef CL_PLATFORM_NOT_FOUND_KHR
#define CL_PLATFORM_NOT_FOUND_KHR -1001
#endif

static const char *cl_code(cl_int e, char *buf, size_t len)
{
    switch (e) {
    case CL_DEVICE_NOT_FOUND: return "CL_DEVICE_NOT_FOUND";
    case CL_DEVICE_NOT_AVAILABLE: return "CL_DEVICE_NOT_AVAILABLE";
    case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES";
    case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY";
    case CL_INVALID_VALUE: return "CL_INVALID_VALUE";
    case CL_INVALID_PLATFORM: return "CL_INVALID_PLATFORM";
    case CL_INVALID_DEVICE: return "CL_INVALID_DEVICE";
    case CL_INVALID_DEVICE_TYPE: return "CL_INVALID_DEVICE_TYPE";
    case CL_PLATFORM_NOT_FOUND_KHR: return "CL_PLATFORM_NOT_FOUND_KHR";
    }
    snprintf(buf, len, "OpenCL error %d", (int)e);
    return buf;
}

/* A string property, NUL-terminated and malloc'ed; NULL with *e set on failure. */
static char *plat_str(cl_platform_id p, cl_platform_info what, cl_int *e)
{
    size_t need = 0;
    char *s = NULL;
    *e = clGetPlatformInfo(p, what, 0, NULL, &need);
    if (*e != CL_SUCCESS)
        goto fail;
    if (!(s = calloc(need + 1, 1))) {
        *e = CL_OUT_OF_HOST_MEMORY;
        goto fail;
    }
    *e = clGetPlatformInfo(p, what, need, s, NULL);
    if (*e != CL_SUCCESS)
        goto fail;
    return s;
fail:
    free(s);
    return NULL;
}

static char *dev_str(cl_device_id d, cl_device_info what, cl_int *e)
{
    size_t need = 0;
    char *s = NULL;
    *e = clGetDeviceInfo(d, what, 0, NULL, &need);
    if (*e != CL_SUCCESS)
        goto fail;
    if (!(s = calloc(need + 1, 1))) {
        *e = CL_OUT_OF_HOST_MEMORY;
        goto fail;
    }
    *e = clGetDeviceInfo(d, what, need, s, NULL);
    if (*e != CL_SUCCESS)
        goto fail;
    return s;
fail:
    free(s);
    return NULL;
}

static bool has_ext(const char *exts, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = exts; (p = strstr(p, name)); p += n)
        if ((p == exts || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return true;
    return false;
}

static void type_str(cl_device_type t, char *buf, size_t len)
{
    static const struct {
        cl_device_type bit;
        const char *name;
    } names[] = {{CL_DEVICE_TYPE_CPU, "CPU"}, {CL_DEVICE_TYPE_GPU, "GPU"},
                 {CL_DEVICE_TYPE_ACCELERATOR, "accelerator"}, {CL_DEVICE_TYPE_CUSTOM, "custom"}};
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (t & names[i].bit)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "+" : "", names[i].name);
    if (!n)
        snprintf(buf, len, "unknown");
}

static void fmt_mib(uint64_t b, char *buf, size_t len)
{
    if (b >= (1ull << 30))
        snprintf(buf, len, "%.2f GiB", (double)b / (1ull << 30));
    else if (b >= (1ull << 20))
        snprintf(buf, len, "%.0f MiB", (double)b / (1ull << 20));
    else
        snprintf(buf, len, "%.0f KiB", (double)b / 1024);
}

#define Q(what, var)                                                              \
    do {                                                                          \
        if ((e = clGetDeviceInfo(dev, what, sizeof(var), &(var), NULL)) != CL_SUCCESS) { \
            failed = #what;                                                       \
            goto out;                                                             \
        }                                                                         \
    } while (0)
#define S(what, var)                                           \
    do {                                                       \
        if (!((var) = dev_str(dev, what, &e))) {               \
            failed = #what;                                    \
            goto out;                                          \
        }                                                      \
    } while (0)

/* Describes one device. Returns 0, AIB_ENOMEM, or AIB_ERUN with the failed
 * query in `note` (the caller skips that device and keeps going). */
static int add_device(struct aib_devlist *out, cl_device_id dev, int pi, int di, const char *pname,
                      char *note, size_t notelen)
{
    struct aib_device d = {.kind = AIB_DEV_OPENCL, .platform_index = pi, .index = di};
    struct aib_kvlist *p = &d.props;
    char *name = NULL, *vendor = NULL, *version = NULL, *driver = NULL, *clc = NULL, *exts = NULL;
    const char *failed = NULL;
    cl_int e = CL_SUCCESS;
    cl_device_type type = 0;
    cl_uint cus = 0, mhz = 0;
    cl_ulong gmem = 0, maxalloc = 0, lmem = 0;
    cl_command_queue_properties qprops = 0;
    cl_device_fp_config dfp = 0;
    char buf[64], code[32];
    int rc = 0;

    S(CL_DEVICE_NAME, name);
    S(CL_DEVICE_VENDOR, vendor);
    S(CL_DEVICE_VERSION, version);
    S(CL_DRIVER_VERSION, driver);
    S(CL_DEVICE_OPENCL_C_VERSION, clc);
    S(CL_DEVICE_EXTENSIONS, exts);
    Q(CL_DEVICE_TYPE, type);
    Q(CL_DEVICE_MAX_COMPUTE_UNITS, cus);
    Q(CL_DEVICE_MAX_CLOCK_FREQUENCY, mhz);
    Q(CL_DEVICE_GLOBAL_MEM_SIZE, gmem);
    Q(CL_DEVICE_MAX_MEM_ALLOC_SIZE, maxalloc);
    Q(CL_DEVICE_LOCAL_MEM_SIZE, lmem);
    Q(CL_DEVICE_QUEUE_ON_HOST_PROPERTIES, qprops);
    /* fp64 is optional; a device without it may reject the query. */
    if (clGetDeviceInfo(dev, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof dfp, &dfp, NULL) != CL_SUCCESS)
        dfp = 0;

    snprintf(d.id, sizeof d.id, "opencl:%d:%d", pi, di);
    snprintf(d.name, sizeof d.name, "%s", name);
    d.cores = cus;
    d.mem_bytes = gmem;

    rc = rc ? rc : aib_kv_set(p, "vendor", vendor);
    rc = rc ? rc : aib_kv_set(p, "platform", pname);
    rc = rc ? rc : aib_kv_set(p, "version", version);
    rc = rc ? rc : aib_kv_set(p, "driver_version", driver);
    rc = rc ? rc : aib_kv_set(p, "opencl_c_version", clc);
    type_str(type, buf, sizeof buf);
    rc = rc ? rc : aib_kv_set(p, "type", buf);
    rc = rc ? rc : aib_kv_setf(p, "compute_units", "%u", (unsigned)cus);
    rc = rc ? rc : aib_kv_setf(p, "max_clock", "%u MHz", (unsigned)mhz);
    fmt_mib(gmem, buf, sizeof buf);
    rc = rc ? rc : aib_kv_set(p, "memory", buf);
    fmt_mib(maxalloc, buf, sizeof buf);
    rc = rc ? rc : aib_kv_set(p, "max_alloc", buf);
    fmt_mib(lmem, buf, sizeof buf);
    rc = rc ? rc : aib_kv_set(p, "local_memory", buf);
    rc = rc ? rc : aib_kv_set(p, "profiling", (qprops & CL_QUEUE_PROFILING_ENABLE) ? "yes" : "no");
    rc = rc ? rc : aib_kv_set(p, "fp16", has_ext(exts, "cl_khr_fp16") ? "yes" : "no");
    rc = rc ? rc : aib_kv_set(p, "fp64", (dfp || has_ext(exts, "cl_khr_fp64")) ? "yes" : "no");
    /* Compute units x clock says nothing about SIMD width or FMA pipes per
     * unit, so no peak is claimed; workloads measure instead. */
    rc = rc ? rc : aib_kv_set(p, "peak_fp32_gflops", "0");
    rc = rc ? rc : aib_kv_set(p, "peak_method", "not derived: OpenCL does not report SIMD width or FMA pipes");
    if (rc)
        goto out;
    rc = aib_devlist_add(out, &d);
out:
    if (failed) {
        snprintf(note, notelen, "opencl:%d:%d: clGetDeviceInfo(%s) failed: %s", pi, di, failed,
                 cl_code(e, code, sizeof code));
        rc = e == CL_OUT_OF_HOST_MEMORY ? AIB_ENOMEM : AIB_ERUN;
    }
    aib_kv_free(&d.props); /* empty after a successful add */
    free(name);
    free(vendor);
    free(version);
    free(driver);
    free(clc);
    free(exts);
    return rc;
}
#undef Q
#undef S

static int opencl_discover(struct aib_devlist *out, struct aib_backend_status *st, struct aib_err *err)
{
    cl_platform_id *plats = NULL;
    cl_device_id *devs = NULL;
    cl_uint np = 0;
    char *pname = NULL, code[32];
    size_t found = 0;
    int rc = 0;

    cl_int e = clGetPlatformIDs(0, NULL, &np);
    if (e == CL_PLATFORM_NOT_FOUND_KHR || (e == CL_SUCCESS && np == 0)) {
        snprintf(st->reason, sizeof st->reason, "no OpenCL platforms (ICD loader found no drivers)");
        goto out;
    }
    if (e != CL_SUCCESS) {
        snprintf(st->reason, sizeof st->reason, "clGetPlatformIDs failed: %s", cl_code(e, code, sizeof code));
        goto out;
    }
    if (!(plats = calloc(np, sizeof *plats))) {
        rc = aib_err_set(err, AIB_ENOMEM, "opencl: out of memory");
        goto out;
    }
    if ((e = clGetPlatformIDs(np, plats, &np)) != CL_SUCCESS) {
        snprintf(st->reason, sizeof st->reason, "clGetPlatformIDs failed: %s", cl_code(e, code, sizeof code));
        goto out;
    }
    st->available = true;
    for (cl_uint pi = 0; pi < np; pi++) {
        cl_uint nd = 0;
        free(pname);
        free(devs);
        devs = NULL;
        if (!(pname = plat_str(plats[pi], CL_PLATFORM_NAME, &e))) {
            snprintf(st->reason, sizeof st->reason, "platform %u: clGetPlatformInfo failed: %s", pi,
                     cl_code(e, code, sizeof code));
            continue;
        }
        e = clGetDeviceIDs(plats[pi], CL_DEVICE_TYPE_ALL, 0, NULL, &nd);
        if (e == CL_DEVICE_NOT_FOUND || (e == CL_SUCCESS && nd == 0))
            continue;
        if (e == CL_SUCCESS && !(devs = calloc(nd, sizeof *devs))) {
            rc = aib_err_set(err, AIB_ENOMEM, "opencl: out of memory");
            goto out;
        }
        if (e == CL_SUCCESS)
            e = clGetDeviceIDs(plats[pi], CL_DEVICE_TYPE_ALL, nd, devs, &nd);
        if (e != CL_SUCCESS) {
            /* Keep the other platforms; remember why this one is missing. */
            snprintf(st->reason, sizeof st->reason, "platform %u (%s): clGetDeviceIDs failed: %s", pi,
                     pname, cl_code(e, code, sizeof code));
            continue;
        }
        for (cl_uint di = 0; di < nd; di++) {
            rc = add_device(out, devs[di], (int)pi, (int)di, pname, st->reason, sizeof st->reason);
            if (rc == AIB_ENOMEM) {
                aib_err_set(err, rc, "opencl: out of memory");
                goto out;
            }
            found += rc == 0;
            rc = 0;
        }
    }
    if (!found && !st->reason[0])
        snprintf(st->reason, sizeof st->reason, "%u OpenCL platform%s, no devices", np, np == 1 ? "" : "s");
out:
    free(pname);
    free(devs);
    free(plats);
    return rc;
}

const struct aib_device_backend aib_opencl_backend = {
    .name = "opencl",
    .kind = AIB_DEV_OPENCL,
    .discover = opencl_discover,
};
