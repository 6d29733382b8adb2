// The CUPTI side of the plugin, shared by cupti_host.cu (metric lists,
// validation, config images: no GPU needed), cupti_range.cu (Range
// Profiler), cupti_pm.cu (PM sampling), cupti_activity.cu (kernel trace)
// and cupti_session.cu (the per-entry session and the ABI-3 hooks).
#ifndef AIB_CUDA_CUPTI_CUH
#define AIB_CUDA_CUPTI_CUH

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aib_cuda_plugin.h"
#include "cupti_lib.cuh"

namespace aibcupti {

using Names = std::vector<std::string>;
// Runs the replayed work once and waits for it: 0 or -1 with e set.
using Work = std::function<int(const Err &)>;

// The default sets (docs/metrics.md explains the choice).
Names default_set(int kind);
const char *default_list(int kind);

// --- host side (cupti_host.cu) ----------------------------------------------

// A host object for one chip and profiler kind (enum aib_cupti_kind).
struct Host {
    const Cupti &c;
    CUpti_Profiler_Host_Object *obj = nullptr;
    std::string chip;
    int kind = AIB_CUPTI_RANGE;
    explicit Host(const Cupti &cupti) : c(cupti) {}
    Host(const Host &) = delete;
    Host &operator=(const Host &) = delete;
    ~Host();
    // avail: the device's counter availability image, or nullptr on the
    // host alone. AIB_CUPTI_EBADNAME for a chip CUPTI does not know.
    int init(int kind, const char *chip, const uint8_t *avail, const Err &e);
    // Properties of a metric (base or full name); the strings belong to CUPTI.
    CUptiResult properties(const char *name, CUpti_Profiler_Host_GetMetricProperties_Params &p) const;
};

// Supported chips, comma-separated.
int chips(const Cupti &c, std::string &out, const Err &e);
// Checks every name (unknown: AIB_CUPTI_EBADNAME with the nearest known
// name; a base name without a rollup; names that cannot share one config),
// adds them to h and builds the config image; *passes: replay passes needed.
int configure(Host &h, const Names &names, std::vector<uint8_t> &image, size_t *passes, const Err &e);
// Values of `names` for range or sample `index` of a decoded counter data image.
int evaluate(const Host &h, std::vector<uint8_t> &data, size_t index, const Names &names, std::vector<double> &out,
             const Err &e);
// The dimension CUPTI gives a metric ("byte", "percent"); "" when unknown.
std::string unit_of(const Host &h, const std::string &name);
// Can device `device` be profiled with `api` here? 0, or -1 with the reason.
int device_supported(const Cupti &c, int device, CUpti_Profiler_API api, const Err &e);

// --- Range Profiler (cupti_range.cu) ----------------------------------------

struct RangeResult {
    size_t passes = 0, ranges = 0, dropped = 0;
    std::vector<double> values; // one per name
    Names units;
};
// One user range around `work`, replayed (user replay) until CUPTI has
// every pass the metric set needs.
int range_profile(const Cupti &c, int device, const std::string &chip, const Names &names, const Work &work,
                  RangeResult &out, const Err &e);

// --- Activity API kernel trace (cupti_activity.cu) ------------------------

struct KernelStat {
    std::string name;
    uint64_t launches = 0;
    double total_s = 0, min_s = 0, max_s = 0;
};
// Kernels run by `work`, longest total first.
int kernel_trace(const Cupti &c, const Work &work, std::vector<KernelStat> &out, uint64_t *launches,
                 uint64_t *dropped, const Err &e);

// --- PM sampling (cupti_pm.cu) ---------------------------------------------

// Samples a one-pass metric set on device `device` every interval_s
// between start() and stop(), decoding on its own thread ("aib-cupti-pm").
class PmSampler {
public:
    PmSampler() = default;
    PmSampler(const PmSampler &) = delete;
    PmSampler &operator=(const PmSampler &) = delete;
    ~PmSampler() { shutdown(); }
    int open(const Cupti &c, int device, const std::string &chip, const Names &names, double interval_s,
             const Err &e);
    int start(const Err &e);
    // Stops sampling, decodes what is left and releases the device (the
    // Range Profiler cannot run while PM sampling is enabled).
    int stop(const Err &e);
    // Ends the thread and releases the device (also without stop()).
    void shutdown();

    Names units;                       // one per name
    std::vector<double> t;             // seconds since t0_unix
    std::vector<std::vector<double>> v; // [metric][sample]
    double t0_unix = 0;
    size_t lost = 0;
    bool overflow = false;
    std::string decode_error;          // the first decode failure, if any

private:
    void loop();
    int decode(const Err &e);
    void release();

    const Cupti *c_ = nullptr;
    Names names_;
    std::unique_ptr<Host> host_;
    std::vector<uint8_t> config_, data_;
    CUpti_PmSampling_Object *obj_ = nullptr;
    bool started_ = false;
    uint64_t ts0_ = 0, base_ = 0; // cuptiGetTimestamp at start; what sample times count from
    double period_s_ = 0.1;
    std::thread th_;
    std::mutex mu_;
    std::condition_variable cv_;
    int phase_ = 0; // 0 idle, 1 sampling, 2 quit
    bool busy_ = false;
};

// --- jobs seen by sessions (cupti_session.cu; called from plugin.cu) ------
void hub_job_created(aib_cuda_job *job);
void hub_job_ran(const aib_cuda_job *job, uint64_t iters);
void hub_job_destroyed(const aib_cuda_job *job);

// The ABI-3 hooks.
int hook_load(char *where, size_t wlen, char *errbuf, size_t errlen);
int hook_chips(char *buf, size_t len, char *errbuf, size_t errlen);
int hook_device_chip(int device, char *chip, size_t len, char *errbuf, size_t errlen);
int hook_metrics(const char *chip, int kind, void (*each)(void *, const aib_cupti_metric_info *), void *ctx,
                 char *errbuf, size_t errlen);
int hook_check(const char *chip, int kind, const char *const *names, size_t n, size_t *passes, char *errbuf,
               size_t errlen);
const char *hook_defaults(int kind);
int hook_open(int device, const aib_cupti_config *cfg, aib_cupti_session **s, char *errbuf, size_t errlen);
int hook_start(aib_cupti_session *s, char *errbuf, size_t errlen);
int hook_stop(aib_cupti_session *s, char *errbuf, size_t errlen);
const aib_cupti_report *hook_report(const aib_cupti_session *s);
void hook_close(aib_cupti_session *s);

} // namespace aibcupti

#endif
