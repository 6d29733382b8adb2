// The CUDA plugin: everything that needs the CUDA runtime lives here, so the
// main binary links no CUDA library and runs where there is no driver.
// cudart is linked statically (no libcudart.so needed at run time) and
// libcuda is never linked: cudart loads the driver itself, and reports
// cudaErrorInsufficientDriver when there is none. cuBLAS, cuBLASLt and
// cuDNN are dlopen()ed by the jobs that use them (libs.cu).
#include <cuda_runtime.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>

#include "aib_cuda_plugin.h"
#include "common.cuh"
#include "cupti.cuh"
#include "jobs.cuh"

aib_cuda_job::~aib_cuda_job()
{
    if (ev_start)
        cudaEventDestroy(ev_start);
    if (ev_stop)
        cudaEventDestroy(ev_stop);
    if (stream)
        cudaStreamDestroy(stream);
}

int aib_cuda_job::open(int dev, const aibcuda::Err &e)
{
    device = dev;
    if (!aibcuda::ok(cudaSetDevice(dev), "cudaSetDevice", e) ||
        !aibcuda::ok(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate", e) ||
        !aibcuda::ok(cudaEventCreate(&ev_start), "cudaEventCreate", e) ||
        !aibcuda::ok(cudaEventCreate(&ev_stop), "cudaEventCreate", e))
        return -1;
    return 0;
}

namespace {

// Reads the current PCIe link of `busid` from sysfs; -1 when unreadable
// (no such device, a VM without the attributes, a non-PCIe part).
void pcie_link(const char *busid, int *gen, int *width)
{
    char path[160], buf[64];
    *gen = *width = -1;
    std::snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/current_link_speed", busid);
    if (FILE *f = std::fopen(path, "r")) {
        if (std::fgets(buf, sizeof buf, f)) {
            // "16.0 GT/s PCIe": each generation doubles the rate from gen3.
            double gts = std::strtod(buf, nullptr);
            static const struct { double gts; int gen; } gens[] = {
                {2.5, 1}, {5.0, 2}, {8.0, 3}, {16.0, 4}, {32.0, 5}, {64.0, 6}, {128.0, 7}};
            for (const auto &g : gens)
                if (gts > g.gts - 0.1 && gts < g.gts + 0.1)
                    *gen = g.gen;
        }
        std::fclose(f);
    }
    std::snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/current_link_width", busid);
    if (FILE *f = std::fopen(path, "r")) {
        int w = 0;
        if (std::fscanf(f, "%d", &w) == 1 && w > 0)
            *width = w;
        std::fclose(f);
    }
}

int plugin_init(char *errbuf, size_t errlen)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e == cudaSuccess)
        return n;
    (void)cudaGetLastError(); // clear it so later calls do not see it
    if (e == cudaErrorInsufficientDriver) {
        // Same code for "no driver" and "driver too old": tell them apart.
        FILE *f = std::fopen("/proc/driver/nvidia/version", "r");
        bool loaded = f != nullptr;
        if (f)
            std::fclose(f);
        std::snprintf(errbuf, errlen, "%s (cudaGetDeviceCount: %s, code %d)",
                      loaded ? "NVIDIA driver too old for this CUDA runtime" : "no NVIDIA driver loaded",
                      cudaGetErrorString(e), static_cast<int>(e));
    } else if (e == cudaErrorNoDevice) {
        std::snprintf(errbuf, errlen, "no CUDA device (cudaGetDeviceCount: %s, code %d)",
                      cudaGetErrorString(e), static_cast<int>(e));
    } else {
        std::snprintf(errbuf, errlen, "cudaGetDeviceCount failed: %s, code %d", cudaGetErrorString(e),
                      static_cast<int>(e));
    }
    return -1;
}

int fail(char *errbuf, size_t errlen, const char *what, cudaError_t e)
{
    (void)cudaGetLastError();
    std::snprintf(errbuf, errlen, "%s: %s, code %d", what, cudaGetErrorString(e), static_cast<int>(e));
    return -1;
}

int plugin_device_info(int idx, struct aib_cuda_devinfo *out, char *errbuf, size_t errlen)
{
    cudaDeviceProp prop;
    cudaError_t e;
    char bus[sizeof out->pci_bus_id];
    std::memset(out, 0, sizeof *out);

    if ((e = cudaGetDeviceProperties(&prop, idx)) != cudaSuccess)
        return fail(errbuf, errlen, "cudaGetDeviceProperties", e);
    std::snprintf(out->name, sizeof out->name, "%s", prop.name);
    out->cc_major = prop.major;
    out->cc_minor = prop.minor;
    out->sm_count = prop.multiProcessorCount;
    out->total_mem = prop.totalGlobalMem;
    out->mem_bus_width = prop.memoryBusWidth;
    // CUDA 13 dropped the clock fields from cudaDeviceProp: use attributes.
    if ((e = cudaDeviceGetAttribute(&out->sm_clock_khz, cudaDevAttrClockRate, idx)) != cudaSuccess)
        return fail(errbuf, errlen, "cudaDeviceGetAttribute(ClockRate)", e);
    if ((e = cudaDeviceGetAttribute(&out->mem_clock_khz, cudaDevAttrMemoryClockRate, idx)) != cudaSuccess)
        return fail(errbuf, errlen, "cudaDeviceGetAttribute(MemoryClockRate)", e);

    // sysfs names devices "0000:3b:00.0"; CUDA may print an 8-digit domain
    // and upper-case hex, so parse and re-format.
    if ((e = cudaDeviceGetPCIBusId(bus, sizeof bus, idx)) != cudaSuccess)
        return fail(errbuf, errlen, "cudaDeviceGetPCIBusId", e);
    unsigned dom = 0, b = 0, dev = 0, fn = 0;
    if (std::sscanf(bus, "%x:%x:%x.%x", &dom, &b, &dev, &fn) == 4) {
        std::snprintf(out->pci_bus_id, sizeof out->pci_bus_id, "%04x:%02x:%02x.%x", dom, b, dev, fn);
    } else {
        std::snprintf(out->pci_bus_id, sizeof out->pci_bus_id, "%s", bus);
        for (char *p = out->pci_bus_id; *p; p++)
            *p = static_cast<char>(std::tolower(static_cast<unsigned char>(*p)));
    }
    pcie_link(out->pci_bus_id, &out->pcie_gen, &out->pcie_width);

    if ((e = cudaDriverGetVersion(&out->driver_version)) != cudaSuccess)
        return fail(errbuf, errlen, "cudaDriverGetVersion", e);
    if ((e = cudaRuntimeGetVersion(&out->runtime_version)) != cudaSuccess)
        return fail(errbuf, errlen, "cudaRuntimeGetVersion", e);
    return 0;
}

void plugin_shutdown(void)
{
    // Nothing: every job owns and frees what it created.
}

// A C++ exception must never cross into the C caller: catch everything
// (std::bad_alloc from a host buffer, mostly) at the boundary.
template <typename F> int guarded(F f, const aibcuda::Err &e)
{
    try {
        return f();
    } catch (const std::exception &ex) {
        return e.set("CUDA plugin: %s", ex.what());
    } catch (...) {
        return e.set("CUDA plugin: unexpected C++ exception");
    }
}

// The create hooks: a job is handed over only when fully built.
template <typename Make>
int create(int device, struct aib_cuda_job **job, char *errbuf, size_t errlen, Make make)
{
    aibcuda::Err e{errbuf, errlen};
    *job = nullptr;
    return guarded(
        [&]() -> int {
            std::unique_ptr<aib_cuda_job> j;
            if (make(device, j, e) != 0)
                return -1;
            // Setup work on the legacy stream (cudaMemset, ...) does not
            // order with the job's non-blocking stream: finish it here.
            if (!aibcuda::ok(cudaDeviceSynchronize(), "cudaDeviceSynchronize (setup)", e))
                return -1;
            *job = j.release();
            aibcupti::hub_job_created(*job); // a CUPTI session on this device replays it
            return 0;
        },
        e);
}

int plugin_matmul_create(int device, const struct aib_cuda_matmul_args *a, struct aib_cuda_job **job,
                         char *errbuf, size_t errlen)
{
    return create(device, job, errbuf, errlen, [a](int d, std::unique_ptr<aib_cuda_job> &j, const aibcuda::Err &e) {
        return aibcuda::make_matmul(d, *a, j, e);
    });
}

int plugin_conv_create(int device, const struct aib_cuda_conv_args *a, struct aib_cuda_job **job,
                       char *errbuf, size_t errlen)
{
    return create(device, job, errbuf, errlen, [a](int d, std::unique_ptr<aib_cuda_job> &j, const aibcuda::Err &e) {
        return aibcuda::make_conv(d, *a, j, e);
    });
}

int plugin_membw_create(int device, const struct aib_cuda_membw_args *a, struct aib_cuda_job **job,
                        char *errbuf, size_t errlen)
{
    return create(device, job, errbuf, errlen, [a](int d, std::unique_ptr<aib_cuda_job> &j, const aibcuda::Err &e) {
        return aibcuda::make_membw(d, *a, j, e);
    });
}

int plugin_transfer_create(int device, const struct aib_cuda_transfer_args *a, struct aib_cuda_job **job,
                           char *errbuf, size_t errlen)
{
    return create(device, job, errbuf, errlen, [a](int d, std::unique_ptr<aib_cuda_job> &j, const aibcuda::Err &e) {
        return aibcuda::make_transfer(d, *a, j, e);
    });
}

// CUDA events around the enqueued iterations: the device's own clock, so
// launch gaps before the first and after the last do not count.
int plugin_job_run(struct aib_cuda_job *job, uint64_t iters, double *device_s, char *errbuf, size_t errlen)
{
    aibcuda::Err e{errbuf, errlen};
    *device_s = 0;
    return guarded(
        [&]() -> int {
            float ms = 0;
            if (!aibcuda::ok(cudaSetDevice(job->device), "cudaSetDevice", e) ||
                !aibcuda::ok(cudaEventRecord(job->ev_start, job->stream), "cudaEventRecord", e))
                return -1;
            if (job->enqueue(iters, e) != 0)
                return -1;
            if (!aibcuda::ok(cudaEventRecord(job->ev_stop, job->stream), "cudaEventRecord", e) ||
                !aibcuda::ok(cudaEventSynchronize(job->ev_stop), "cudaEventSynchronize (the work failed)", e) ||
                !aibcuda::ok(cudaEventElapsedTime(&ms, job->ev_start, job->ev_stop), "cudaEventElapsedTime", e))
                return -1;
            *device_s = ms * 1e-3;
            aibcupti::hub_job_ran(job, iters);
            return 0;
        },
        e);
}

int plugin_job_verify(struct aib_cuda_job *job, char *errbuf, size_t errlen)
{
    aibcuda::Err e{errbuf, errlen};
    return guarded(
        [&]() -> int {
            if (!aibcuda::ok(cudaSetDevice(job->device), "cudaSetDevice", e) ||
                !aibcuda::ok(cudaStreamSynchronize(job->stream), "cudaStreamSynchronize", e))
                return -1;
            return job->verify(e);
        },
        e);
}

void plugin_job_describe(const struct aib_cuda_job *job, char *buf, size_t len)
{
    if (len)
        buf[0] = '\0';
    if (job)
        job->describe(buf, len);
}

void plugin_job_destroy(struct aib_cuda_job *job)
{
    if (!job)
        return;
    aibcupti::hub_job_destroyed(job);
    cudaSetDevice(job->device);
    if (job->stream)
        cudaStreamSynchronize(job->stream);
    delete job;
}

const struct aib_cuda_plugin plugin_table = {
    AIB_CUDA_PLUGIN_ABI,
    "aibench-cuda",
    plugin_init,
    plugin_device_info,
    plugin_shutdown,
    plugin_matmul_create,
    plugin_conv_create,
    plugin_membw_create,
    plugin_transfer_create,
    plugin_job_run,
    plugin_job_verify,
    plugin_job_describe,
    plugin_job_destroy,
    aibcupti::hook_load,
    aibcupti::hook_chips,
    aibcupti::hook_device_chip,
    aibcupti::hook_metrics,
    aibcupti::hook_check,
    aibcupti::hook_defaults,
    aibcupti::hook_open,
    aibcupti::hook_start,
    aibcupti::hook_stop,
    aibcupti::hook_report,
    aibcupti::hook_close,
};

} // namespace

extern "C" __attribute__((visibility("default"))) const struct aib_cuda_plugin *aib_cuda_plugin_get(void)
{
    return &plugin_table;
}
