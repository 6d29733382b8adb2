/* CUDA backend: loads the nvcc-built plugin (aibench-cuda.so) with dlopen,
 * so the main binary links no CUDA library and works without a driver.
 * Every way of failing (no plugin, bad ABI, no driver) leaves the backend
 * unavailable with a reason, never an error. When GPUs are found the plugin
 * stays loaded, owned by the device list, so workloads can call its table. */
#include "cuda.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cuda/aib_cuda_plugin.h"

#define PLUGIN_FILE "aibench-cuda.so"

/* What the device list keeps for its CUDA devices. */
struct cuda_ctx {
    void *handle;
    const struct aib_cuda_plugin *pl;
};

static void cuda_ctx_free(void *p)
{
    struct cuda_ctx *c = p;
    if (!c)
        return;
    if (c->pl)
        c->pl->shutdown();
    if (c->handle)
        dlclose(c->handle);
    free(c);
}

const struct aib_cuda_plugin *aib_cuda_plugin_of(const struct aib_device *dev)
{
    if (!dev || dev->kind != AIB_DEV_CUDA || !dev->backend_ctx)
        return NULL;
    return ((const struct cuda_ctx *)dev->backend_ctx)->pl;
}

/* snprintf through a va_list: the reason is truncated to fit on purpose
 * (a very long path must not turn into a build warning or an error). */
__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

/* Finds the plugin: $AIBENCH_CUDA_PLUGIN alone when set, else next to the
 * executable, else in <prefix>/lib/aibench. On failure `reason` says where
 * it looked. */
static bool find_plugin(char *path, size_t len, char *reason, size_t rlen)
{
    const char *env = getenv("AIBENCH_CUDA_PLUGIN");
    char exe[PATH_MAX], a[PATH_MAX + 64], b[PATH_MAX + 64];
    if (env && env[0]) {
        snprintf(path, len, "%s", env);
        if (access(path, F_OK) == 0)
            return true;
        say(reason, rlen, "CUDA plugin not found at %s (from AIBENCH_CUDA_PLUGIN)", env);
        return false;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        say(reason, rlen, "CUDA plugin not found (cannot read /proc/self/exe; set AIBENCH_CUDA_PLUGIN)");
        return false;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(a, sizeof a, "%s/" PLUGIN_FILE, exe);
    snprintf(b, sizeof b, "%s/../lib/aibench/" PLUGIN_FILE, exe);
    const char *found = access(a, F_OK) == 0 ? a : access(b, F_OK) == 0 ? b : NULL;
    if (found) {
        snprintf(path, len, "%s", found);
        return true;
    }
    say(reason, rlen, "CUDA plugin not found (looked in %s and %s; build it with nvcc: make plugin)", a, b);
    return false;
}

/* FP32 lanes per SM by compute capability; 0 when unknown. GA100 (8.0) and
 * Turing (7.5) have 64; later 8.x, Hopper and Blackwell have 128. */
static int fp32_lanes(int maj, int min)
{
    if (maj == 7 || (maj == 8 && min == 0))
        return 64;
    return maj >= 8 ? 128 : 0;
}

/* FP64:FP32 rate: 1/2 on the data-centre parts, 1/32 on Turing, 1/64 otherwise. */
static double fp64_ratio(int maj, int min)
{
    if ((maj == 8 || maj == 9 || maj == 10) && min == 0)
        return 0.5;
    return maj == 7 ? 1.0 / 32 : 1.0 / 64;
}

static void fmt_version(int v, char *buf, size_t len)
{
    if (v > 0)
        snprintf(buf, len, "%d.%d", v / 1000, (v % 1000) / 10);
    else
        snprintf(buf, len, "none");
}

static int add_gpu(struct aib_devlist *out, int idx, const struct aib_cuda_devinfo *gi, const char *path,
                   struct cuda_ctx *ctx)
{
    struct aib_device d = {.kind = AIB_DEV_CUDA, .platform_index = -1, .index = idx, .backend_ctx = ctx};
    struct aib_kvlist *p = &d.props;
    char buf[64];
    int rc = 0;

    snprintf(d.id, sizeof d.id, "cuda:%d", idx);
    snprintf(d.name, sizeof d.name, "%s", gi->name);
    d.cores = gi->sm_count > 0 ? (unsigned)gi->sm_count : 0;
    d.mem_bytes = gi->total_mem;

    rc = rc ? rc : aib_kv_set(p, "name", gi->name);
    rc = rc ? rc : aib_kv_setf(p, "compute_capability", "%d.%d", gi->cc_major, gi->cc_minor);
    rc = rc ? rc : aib_kv_setf(p, "sms", "%d", gi->sm_count);
    rc = rc ? rc : aib_kv_setf(p, "memory", "%.2f GiB", (double)gi->total_mem / (1ull << 30));
    rc = rc ? rc : aib_kv_setf(p, "sm_clock", "%d MHz", gi->sm_clock_khz / 1000);
    rc = rc ? rc : aib_kv_setf(p, "mem_clock", "%d MHz", gi->mem_clock_khz / 1000);
    rc = rc ? rc : aib_kv_setf(p, "mem_bus_width", "%d-bit", gi->mem_bus_width);
    if (gi->pcie_gen > 0 && gi->pcie_width > 0)
        rc = rc ? rc : aib_kv_setf(p, "pcie", "gen%d x%d", gi->pcie_gen, gi->pcie_width);
    else
        rc = rc ? rc : aib_kv_set(p, "pcie", "unknown");
    fmt_version(gi->driver_version, buf, sizeof buf);
    rc = rc ? rc : aib_kv_set(p, "driver_version", buf);
    fmt_version(gi->runtime_version, buf, sizeof buf);
    rc = rc ? rc : aib_kv_set(p, "runtime_version", buf);
    rc = rc ? rc : aib_kv_set(p, "pci_bus_id", gi->pci_bus_id);

    int lanes = fp32_lanes(gi->cc_major, gi->cc_minor);
    double ghz = gi->sm_clock_khz / 1e6;
    if (lanes && ghz > 0 && gi->sm_count > 0) {
        double r = fp64_ratio(gi->cc_major, gi->cc_minor);
        d.peak_fp32_gflops = gi->sm_count * lanes * 2 * ghz;
        d.peak_fp64_gflops = d.peak_fp32_gflops * r;
        rc = rc ? rc : aib_kv_setf(p, "peak_fp32_gflops", "%.1f", d.peak_fp32_gflops);
        rc = rc ? rc : aib_kv_setf(p, "peak_fp64_gflops", "%.1f", d.peak_fp64_gflops);
        rc = rc ? rc : aib_kv_setf(p, "peak_method",
                                   "%d SMs x %d FP32 lanes x 2 (FMA) x %.3f GHz (cc %d.%d); FP64 is 1/%.0f",
                                   gi->sm_count, lanes, ghz, gi->cc_major, gi->cc_minor, 1 / r);
    } else {
        rc = rc ? rc : aib_kv_set(p, "peak_fp32_gflops", "0");
        rc = rc ? rc : aib_kv_setf(p, "peak_method", "unknown: FP32 lanes per SM not known for cc %d.%d",
                                   gi->cc_major, gi->cc_minor);
    }
    rc = rc ? rc : aib_kv_set(p, "plugin", path);
    if (rc) {
        aib_kv_free(p);
        return rc;
    }
    return aib_devlist_add(out, &d);
}

/* dlopen()s the plugin at `path` and checks its table (ABI, every hook).
 * On failure the reason is in `reason` and *handle is NULL. */
static const struct aib_cuda_plugin *open_plugin(const char *path, void **handle, char *reason, size_t rlen)
{
    /* RTLD_NODELETE: the static CUDA runtime inside registers exit-time
     * teardown; keeping its code mapped after dlclose makes that safe. */
    if (!(*handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE))) {
        const char *de = dlerror();
        say(reason, rlen, "cannot load CUDA plugin: %s", de ? de : path);
        return NULL;
    }
    dlerror();
    aib_cuda_plugin_get_fn get = (aib_cuda_plugin_get_fn)dlsym(*handle, AIB_CUDA_PLUGIN_SYMBOL);
    const struct aib_cuda_plugin *t = get ? get() : NULL;
    if (!get) {
        const char *de = dlerror();
        say(reason, rlen, "bad CUDA plugin %s: %s", path, de ? de : "no " AIB_CUDA_PLUGIN_SYMBOL);
    } else if (!t || t->abi != AIB_CUDA_PLUGIN_ABI) {
        say(reason, rlen, "CUDA plugin %s: plugin ABI %d, expected %d", path, t ? t->abi : -1,
            AIB_CUDA_PLUGIN_ABI);
        t = NULL;
    } else if (!t->init || !t->device_info || !t->shutdown || !t->matmul_create || !t->conv_create ||
               !t->membw_create || !t->transfer_create || !t->job_run || !t->job_verify ||
               !t->job_describe || !t->job_destroy || !t->cupti_load || !t->cupti_chips ||
               !t->cupti_device_chip || !t->cupti_metrics || !t->cupti_check || !t->cupti_defaults ||
               !t->cupti_open || !t->cupti_start || !t->cupti_stop || !t->cupti_report || !t->cupti_close) {
        say(reason, rlen, "CUDA plugin %s: missing a required hook", path);
        t = NULL;
    }
    if (!t) {
        dlclose(*handle);
        *handle = NULL;
    }
    return t;
}

int aib_cuda_plugin_load(struct aib_cuda_loaded *out, char *why, size_t len)
{
    memset(out, 0, sizeof *out);
    out->ndev = -1;
    if (!find_plugin(out->path, sizeof out->path, why, len))
        return -1;
    if (!(out->pl = open_plugin(out->path, &out->handle, why, len)))
        return -1;
    out->ndev = out->pl->init(out->init_why, sizeof out->init_why);
    out->inited = 1;
    return 0;
}

void aib_cuda_plugin_unload(struct aib_cuda_loaded *l)
{
    if (!l)
        return;
    if (l->pl && l->inited)
        l->pl->shutdown();
    if (l->handle)
        dlclose(l->handle);
    memset(l, 0, sizeof *l);
    l->ndev = -1;
}

static int cuda_discover(struct aib_devlist *out, struct aib_backend_status *st, struct aib_err *err)
{
    char path[PATH_MAX + 64], why[256];
    struct cuda_ctx *ctx = NULL;
    const struct aib_cuda_plugin *pl = NULL;
    int rc = 0;

    if (!find_plugin(path, sizeof path, st->reason, sizeof st->reason))
        goto out;
    if (!(ctx = calloc(1, sizeof *ctx))) {
        rc = aib_err_set(err, AIB_ENOMEM, "cuda: out of memory");
        goto out;
    }
    const struct aib_cuda_plugin *t = open_plugin(path, &ctx->handle, st->reason, sizeof st->reason);
    if (!t)
        goto out;
    pl = ctx->pl = t;
    why[0] = '\0';
    int n = pl->init(why, sizeof why);
    if (n < 0) {
        say(st->reason, sizeof st->reason, "%s", why[0] ? why : "plugin init failed");
        goto out;
    }
    st->available = true;
    if (n == 0)
        say(st->reason, sizeof st->reason, "no CUDA devices");
    /* The devices will point at the context: from here the list owns it,
     * also if adding a device fails below. */
    struct cuda_ctx *owned = ctx;
    if (n > 0) {
        st->ctx = ctx;
        st->ctx_free = cuda_ctx_free;
        ctx = NULL;
    }
    for (int i = 0; i < n; i++) {
        struct aib_cuda_devinfo gi;
        why[0] = '\0';
        if (pl->device_info(i, &gi, why, sizeof why) != 0) {
            /* Skip this GPU, keep the others, and say why it is missing. */
            say(st->reason, sizeof st->reason, "cuda:%d: %s", i, why[0] ? why : "device_info failed");
            continue;
        }
        gi.name[sizeof gi.name - 1] = gi.pci_bus_id[sizeof gi.pci_bus_id - 1] = '\0';
        if ((rc = add_gpu(out, i, &gi, path, owned)) != 0) {
            aib_err_set(err, rc, "cuda: out of memory");
            goto out;
        }
    }
out:
    cuda_ctx_free(ctx); /* shuts the plugin down only if init ran */
    return rc;
}

const struct aib_device_backend aib_cuda_backend = {
    .name = "cuda",
    .kind = AIB_DEV_CUDA,
    .discover = cuda_discover,
};
