// The ABI-3 hooks: host-side queries, and one profiling session per
// benchmark entry. A session samples PM counters while the timed samples
// run; at stop it replays the entry's job (the iterations of one timed
// sample) under the Activity API's kernel trace, then under the Range
// Profiler once per pass. The replays come after the last timed sample and
// before the engine's final verification: the clean timings never include
// them (the Range Profiler's own timings are not reported at all).
#include <atomic>
#include <cstring>
#include <memory>

#include "cupti.cuh"

namespace aibcupti {
namespace {
constexpr int kMaxDevices = 64;
} // namespace
} // namespace aibcupti

struct aib_cupti_session {
    int device = 0;
    aibcupti::Cupti c; // declared before pm: destroyed after it
    bool prof_inited = false, registered = false;
    std::string chip;
    aibcupti::Names range_names, pm_names;
    double interval = 0.1;
    aibcupti::PmSampler pm;
    bool pm_ready = false, started = false, stopped = false;
    // set through the hub (under its lock)
    aib_cuda_job *job = nullptr;
    bool job_gone = false;
    uint64_t iters = 0;
    // what was measured, and why a part was not
    std::string range_missing, trace_missing, pm_missing;
    aibcupti::RangeResult rr;
    std::vector<aibcupti::KernelStat> kernels;
    uint64_t launches = 0, dropped_records = 0;
    // the C views of the report
    std::vector<aib_cupti_value> range_view, pm_view;
    std::vector<aib_cupti_kernel> kernel_view;
    aib_cupti_report report{};
    ~aib_cupti_session();
};

namespace aibcupti {

namespace {

// The jobs' hooks in plugin.cu see only the job, so the session open on its
// device is found here: process-wide, like CUPTI's own state (one range
// profiler per context, one PM sampler per device, activity callbacks
// without a user pointer). `open` keeps job_run's cost at one atomic load
// when no session exists.
struct Hub {
    std::mutex mu;
    std::atomic<int> open{0};
    aib_cupti_session *by_device[kMaxDevices] = {};
};
Hub &hub()
{
    static Hub h;
    return h;
}

aib_cupti_session *session_of(const aib_cuda_job *job)
{
    return job->device >= 0 && job->device < kMaxDevices ? hub().by_device[job->device] : nullptr;
}

void build_report(aib_cupti_session *s)
{
    aib_cupti_report &r = s->report;
    r = aib_cupti_report{};
    r.chip = s->chip.c_str();
    r.range_missing = s->range_missing.empty() ? nullptr : s->range_missing.c_str();
    r.trace_missing = s->trace_missing.empty() ? nullptr : s->trace_missing.c_str();
    r.pm_missing = s->pm_missing.empty() ? nullptr : s->pm_missing.c_str();
    r.iters = s->iters;
    r.passes = s->rr.passes;
    r.ranges = s->rr.ranges;
    r.dropped_ranges = s->rr.dropped;
    s->range_view.clear();
    if (!r.range_missing)
        for (size_t i = 0; i < s->range_names.size() && i < s->rr.values.size(); i++)
            s->range_view.push_back({s->range_names[i].c_str(),
                                     i < s->rr.units.size() ? s->rr.units[i].c_str() : "", s->rr.values[i],
                                     nullptr, nullptr, 0});
    r.range = s->range_view.data();
    r.n_range = s->range_view.size();
    s->kernel_view.clear();
    for (const KernelStat &k : s->kernels)
        s->kernel_view.push_back({k.name.c_str(), k.launches, k.total_s, k.min_s, k.max_s});
    r.kernels = s->kernel_view.data();
    r.n_kernels = s->kernel_view.size();
    r.launches = s->launches;
    r.dropped_records = s->dropped_records;
    r.interval_s = s->interval;
    r.pm_t0 = s->pm.t0_unix;
    s->pm_view.clear();
    if (!r.pm_missing)
        for (size_t i = 0; i < s->pm_names.size() && i < s->pm.v.size(); i++)
            s->pm_view.push_back({s->pm_names[i].c_str(), i < s->pm.units.size() ? s->pm.units[i].c_str() : "", 0,
                                  s->pm.t.data(), s->pm.v[i].data(), s->pm.t.size()});
    r.pm = s->pm_view.data();
    r.n_pm = s->pm_view.size();
    r.pm_samples = s->pm.t.size();
    r.pm_lost = s->pm.lost;
}

// A C++ exception must not cross into C.
template <typename F> int guarded(const Err &e, F f)
{
    try {
        return f();
    } catch (const std::exception &ex) {
        return e.set("CUPTI: %s", ex.what());
    } catch (...) {
        return e.set("CUPTI: unexpected C++ exception");
    }
}

Names names_of(const char *const *list, size_t n, int kind)
{
    if (!list || n == 0)
        return default_set(kind);
    return Names(list, list + n);
}

// Device-side CUPTI calls crash without a driver (cuptiDeviceGetChipName
// segfaults): touch them only for a device cudart can see.
int device_present(int device, const Err &e)
{
    int n = 0;
    cudaError_t r = cudaGetDeviceCount(&n);
    if (r != cudaSuccess) {
        (void)cudaGetLastError();
        return e.set("no CUDA device (cudaGetDeviceCount: %s)", cudaGetErrorString(r));
    }
    if (device < 0 || device >= n)
        return e.set("no CUDA device %d (%d found)", device, n);
    return 0;
}

void copy_out(const std::string &s, char *buf, size_t len)
{
    if (len)
        std::snprintf(buf, len, "%s", s.c_str());
}

// The replays: one timed sample's iterations, waited for.
void replay(aib_cupti_session *s)
{
    aib_cuda_job *job;
    uint64_t iters;
    bool gone;
    {
        std::lock_guard<std::mutex> lock(hub().mu);
        job = s->job;
        iters = s->iters;
        gone = s->job_gone;
    }
    std::string none;
    if (!job)
        none = gone ? "the entry's CUDA job was freed before the replay (the entry ended early)"
                    : "the entry created no CUDA job on this device";
    else if (iters == 0)
        none = "no timed sample ran";
    if (!none.empty()) {
        if (s->trace_missing.empty())
            s->trace_missing = none;
        if (s->range_missing.empty())
            s->range_missing = none;
        return;
    }
    Work work = [job, iters](const Err &e) -> int {
        if (!aibcuda::ok(cudaSetDevice(job->device), "cudaSetDevice", e) || job->enqueue(iters, e) != 0)
            return -1;
        return aibcuda::ok(cudaStreamSynchronize(job->stream), "cudaStreamSynchronize (replay)", e) ? 0 : -1;
    };
    char why[512] = "";
    Err w{why, sizeof why};
    if (!aibcuda::ok(cudaStreamSynchronize(job->stream), "cudaStreamSynchronize", w)) {
        s->trace_missing = s->range_missing = why;
        return;
    }
    if (s->trace_missing.empty() && kernel_trace(s->c, work, s->kernels, &s->launches, &s->dropped_records, w))
        s->trace_missing = why;
    if (s->range_missing.empty() &&
        (device_supported(s->c, s->device, CUPTI_PROFILER_RANGE_PROFILING, w) ||
         range_profile(s->c, s->device, s->chip, s->range_names, work, s->rr, w)))
        s->range_missing = why;
}

} // namespace

// --- the hub -----------------------------------------------------------------

void hub_job_created(aib_cuda_job *job)
{
    Hub &h = hub();
    if (!job || h.open.load(std::memory_order_acquire) == 0)
        return;
    std::lock_guard<std::mutex> lock(h.mu);
    aib_cupti_session *s = session_of(job);
    if (s && !s->job && !s->job_gone)
        s->job = job;
}

void hub_job_ran(const aib_cuda_job *job, uint64_t iters)
{
    Hub &h = hub();
    if (h.open.load(std::memory_order_acquire) == 0)
        return;
    std::lock_guard<std::mutex> lock(h.mu);
    aib_cupti_session *s = session_of(job);
    if (s && s->job == job)
        s->iters = iters;
}

void hub_job_destroyed(const aib_cuda_job *job)
{
    Hub &h = hub();
    if (!job || h.open.load(std::memory_order_acquire) == 0)
        return;
    std::lock_guard<std::mutex> lock(h.mu);
    aib_cupti_session *s = session_of(job);
    if (s && s->job == job) {
        s->job = nullptr;
        s->job_gone = true;
    }
}

// --- host-side hooks -----------------------------------------------------------

int hook_load(char *where, size_t wlen, char *errbuf, size_t errlen)
{
    Err e{errbuf, errlen};
    return guarded(e, [&]() -> int {
        Cupti c;
        if (c.load(e))
            return -1;
        copy_out(c.where, where, wlen);
        return 0;
    });
}

int hook_chips(char *buf, size_t len, char *errbuf, size_t errlen)
{
    Err e{errbuf, errlen};
    return guarded(e, [&]() -> int {
        Cupti c;
        std::string all;
        if (c.load(e) || chips(c, all, e))
            return -1;
        copy_out(all, buf, len);
        return 0;
    });
}

int hook_device_chip(int device, char *chip, size_t len, char *errbuf, size_t errlen)
{
    Err e{errbuf, errlen};
    return guarded(e, [&]() -> int {
        Cupti c;
        if (device_present(device, e) || c.load(e))
            return -1;
        auto ip = params<CUpti_Profiler_Initialize_Params>(CUpti_Profiler_Initialize_Params_STRUCT_SIZE);
        if (!c.ok(c.prof_init(&ip), "cuptiProfilerInitialize", e))
            return -1;
        auto p = params<CUpti_Device_GetChipName_Params>(CUpti_Device_GetChipName_Params_STRUCT_SIZE);
        p.deviceIndex = static_cast<size_t>(device);
        int rc = c.ok(c.chip_name(&p), "cuptiDeviceGetChipName", e) && p.pChipName ? 0 : -1;
        if (rc == 0)
            copy_out(p.pChipName, chip, len);
        auto dp = params<CUpti_Profiler_DeInitialize_Params>(CUpti_Profiler_DeInitialize_Params_STRUCT_SIZE);
        c.prof_deinit(&dp);
        return rc;
    });
}

int hook_metrics(const char *chip, int kind, void (*each)(void *, const aib_cupti_metric_info *), void *ctx,
                 char *errbuf, size_t errlen)
{
    Err e{errbuf, errlen};
    return guarded(e, [&]() -> int {
        Cupti c;
        if (c.load(e))
            return -1;
        Host h(c);
        int rc = h.init(kind, chip, nullptr, e);
        if (rc)
            return rc;
        for (int t = 0; t < CUPTI_METRIC_TYPE__COUNT; t++) {
            auto p = params<CUpti_Profiler_Host_GetBaseMetrics_Params>(CUpti_Profiler_Host_GetBaseMetrics_Params_STRUCT_SIZE);
            p.pHostObject = h.obj;
            p.metricType = static_cast<CUpti_MetricType>(t);
            if (!c.ok(c.host_base_metrics(&p), "cuptiProfilerHostGetBaseMetrics", e))
                return -1;
            for (size_t i = 0; i < p.numMetrics; i++) {
                CUpti_Profiler_Host_GetMetricProperties_Params mp;
                aib_cupti_metric_info m = {p.ppMetricNames[i], t, "", "", ""};
                if (h.properties(p.ppMetricNames[i], mp) == CUPTI_SUCCESS) {
                    m.description = mp.pDescription ? mp.pDescription : "";
                    m.hw_unit = mp.pHwUnit ? mp.pHwUnit : "";
                    m.dim_unit = mp.pDimUnit ? mp.pDimUnit : "";
                }
                each(ctx, &m);
            }
        }
        return 0;
    });
}

int hook_check(const char *chip, int kind, const char *const *names, size_t n, size_t *passes, char *errbuf,
               size_t errlen)
{
    Err e{errbuf, errlen};
    *passes = 0;
    return guarded(e, [&]() -> int {
        Cupti c;
        if (c.load(e))
            return -1;
        Host h(c);
        int rc = h.init(kind, chip, nullptr, e);
        if (rc)
            return rc;
        std::vector<uint8_t> image;
        return configure(h, Names(names, names + n), image, passes, e);
    });
}

const char *hook_defaults(int kind) { return default_list(kind); }

// --- sessions ---------------------------------------------------------------------

int hook_open(int device, const aib_cupti_config *cfg, aib_cupti_session **out, char *errbuf, size_t errlen)
{
    Err e{errbuf, errlen};
    *out = nullptr;
    if (device < 0 || device >= kMaxDevices)
        return e.set("CUPTI: device index %d out of range", device);
    return guarded(e, [&]() -> int {
        std::unique_ptr<aib_cupti_session> s(new aib_cupti_session);
        s->device = device;
        s->interval = cfg && cfg->interval_s > 0 ? cfg->interval_s : 0.1;
        s->range_names = names_of(cfg ? cfg->range : nullptr, cfg ? cfg->n_range : 0, AIB_CUPTI_RANGE);
        s->pm_names = names_of(cfg ? cfg->pm : nullptr, cfg ? cfg->n_pm : 0, AIB_CUPTI_PM);
        {
            Hub &h = hub();
            std::lock_guard<std::mutex> lock(h.mu);
            if (h.by_device[device])
                return e.set("CUPTI: another profiling session is open on CUDA device %d", device);
            h.by_device[device] = s.get();
            s->registered = true;
            h.open.fetch_add(1, std::memory_order_release);
        }
        char why[512] = "";
        Err w{why, sizeof why};
        auto ip = params<CUpti_Profiler_Initialize_Params>(CUpti_Profiler_Initialize_Params_STRUCT_SIZE);
        auto cp = params<CUpti_Device_GetChipName_Params>(CUpti_Device_GetChipName_Params_STRUCT_SIZE);
        cp.deviceIndex = static_cast<size_t>(device);
        if (device_present(device, w) == 0 && s->c.load(w) == 0 &&
            s->c.ok(s->c.prof_init(&ip), "cuptiProfilerInitialize", w))
            s->prof_inited = true;
        if (s->prof_inited && s->c.ok(s->c.chip_name(&cp), "cuptiDeviceGetChipName", w) && cp.pChipName)
            s->chip = cp.pChipName;
        if (s->chip.empty()) {
            s->range_missing = s->trace_missing = s->pm_missing = why[0] ? why : "CUPTI: no chip name";
        } else if (device_supported(s->c, device, CUPTI_PROFILER_PM_SAMPLING, w) ||
                   s->pm.open(s->c, device, s->chip, s->pm_names, s->interval, w)) {
            s->pm_missing = why;
            s->pm.shutdown();
        } else {
            s->pm_ready = true;
        }
        if (s->pm_missing.empty())
            s->pm_missing = "not started";
        if (s->range_missing.empty())
            s->range_missing = "not stopped (no replay ran)";
        if (s->trace_missing.empty())
            s->trace_missing = "not stopped (no replay ran)";
        build_report(s.get());
        *out = s.release();
        return 0;
    });
}

int hook_start(aib_cupti_session *s, char *errbuf, size_t errlen)
{
    Err e{errbuf, errlen};
    if (!s || s->started)
        return 0;
    return guarded(e, [&]() -> int {
        s->started = true;
        char why[512] = "";
        if (s->pm_ready) {
            if (s->pm.start(Err{why, sizeof why})) {
                s->pm_missing = why;
                s->pm_ready = false;
                s->pm.shutdown();
            } else {
                s->pm_missing.clear();
            }
        }
        return 0;
    });
}

int hook_stop(aib_cupti_session *s, char *errbuf, size_t errlen)
{
    Err e{errbuf, errlen};
    if (!s || s->stopped)
        return 0;
    return guarded(e, [&]() -> int {
        s->stopped = true;
        char why[512] = "";
        if (s->pm_ready && s->started) {
            if (s->pm.stop(Err{why, sizeof why}))
                s->pm_missing = why;
            else if (s->pm.t.empty())
                s->pm_missing = !s->pm.decode_error.empty() ? s->pm.decode_error
                                : s->pm.overflow ? "PM sampling: the hardware buffer overflowed"
                                                 : "no PM sample in the profiled time (shorter than the interval)";
        }
        s->pm.shutdown(); // the Range Profiler cannot run beside PM sampling
        // Placeholders from open give way to the outcome; real reasons stay.
        const char *none = s->started ? "" : "not started (the entry ended before its timed samples)";
        if (s->trace_missing.rfind("not stopped", 0) == 0)
            s->trace_missing = none;
        if (s->range_missing.rfind("not stopped", 0) == 0)
            s->range_missing = none;
        if (s->started)
            replay(s);
        build_report(s);
        return 0;
    });
}

const aib_cupti_report *hook_report(const aib_cupti_session *s) { return s ? &s->report : nullptr; }

void hook_close(aib_cupti_session *s) { delete s; }

} // namespace aibcupti

aib_cupti_session::~aib_cupti_session()
{
    pm.shutdown();
    if (registered) {
        aibcupti::Hub &h = aibcupti::hub();
        std::lock_guard<std::mutex> lock(h.mu);
        h.by_device[device] = nullptr;
        h.open.fetch_sub(1, std::memory_order_release);
    }
    if (prof_inited) {
        auto dp = aibcupti::params<CUpti_Profiler_DeInitialize_Params>(CUpti_Profiler_DeInitialize_Params_STRUCT_SIZE);
        c.prof_deinit(&dp);
    }
}
