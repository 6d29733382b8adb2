// PM sampling: a one-pass metric set sampled by the GPU itself every
// interval (GPU time trigger, in ns) into a hardware buffer, decoded into a
// counter data image by a thread of its own ("aib-cupti-pm") every 50 ms
// while the timed samples run, and once more after stop. Sampling is
// device-wide: other processes' work on the GPU shows too.
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <memory>

#include "cupti.cuh"

namespace aibcupti {

namespace {

constexpr double kDecodePeriodS = 0.05;
constexpr size_t kHwBufferBytes = 64u << 20; // ~16 KiB a sample: seconds of slack at 1 kHz
constexpr int kFinalDecodes = 16;

double unix_now()
{
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

} // namespace

void PmSampler::shutdown()
{
    if (th_.joinable()) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            phase_ = 2;
        }
        cv_.notify_all();
        th_.join();
    }
    release();
}

// Stops (if started) and disables the sampler; errors are of no use here.
void PmSampler::release()
{
    if (!obj_)
        return;
    if (started_) {
        auto sp = params<CUpti_PmSampling_Stop_Params>(CUpti_PmSampling_Stop_Params_STRUCT_SIZE);
        sp.pPmSamplingObject = obj_;
        c_->pm_stop(&sp);
        started_ = false;
    }
    auto dp = params<CUpti_PmSampling_Disable_Params>(CUpti_PmSampling_Disable_Params_STRUCT_SIZE);
    dp.pPmSamplingObject = obj_;
    c_->pm_disable(&dp);
    obj_ = nullptr;
    host_.reset();
}

int PmSampler::open(const Cupti &c, int device, const std::string &chip, const Names &names, double interval_s,
                    const Err &e)
{
    c_ = &c;
    names_ = names;
    // The counter availability image first: it fails while a session is active.
    auto av = params<CUpti_PmSampling_GetCounterAvailability_Params>(CUpti_PmSampling_GetCounterAvailability_Params_STRUCT_SIZE);
    av.deviceIndex = static_cast<size_t>(device);
    if (!c.ok(c.pm_availability(&av), "cuptiPmSamplingGetCounterAvailability (size)", e))
        return -1;
    std::vector<uint8_t> avail(av.counterAvailabilityImageSize, 0);
    av.pCounterAvailabilityImage = avail.data();
    if (!c.ok(c.pm_availability(&av), "cuptiPmSamplingGetCounterAvailability", e))
        return -1;
    host_.reset(new Host(c));
    size_t passes = 0;
    if (host_->init(AIB_CUPTI_PM, chip.c_str(), avail.data(), e) || configure(*host_, names, config_, &passes, e))
        return -1;
    if (passes != 1)
        return e.set("the PM-sampling metric set needs %zu passes on %s; PM sampling takes one", passes, chip.c_str());
    for (const std::string &n : names)
        units.push_back(unit_of(*host_, n));

    auto en = params<CUpti_PmSampling_Enable_Params>(CUpti_PmSampling_Enable_Params_STRUCT_SIZE);
    en.deviceIndex = static_cast<size_t>(device);
    if (!c.ok(c.pm_enable(&en), "cuptiPmSamplingEnable", e))
        return -1;
    obj_ = en.pPmSamplingObject;

    period_s_ = kDecodePeriodS;
    auto sc = params<CUpti_PmSampling_SetConfig_Params>(CUpti_PmSampling_SetConfig_Params_STRUCT_SIZE);
    sc.pPmSamplingObject = obj_;
    sc.configSize = config_.size();
    sc.pConfig = config_.data();
    sc.hardwareBufferSize = kHwBufferBytes;
    sc.samplingInterval = static_cast<uint64_t>(std::llround(interval_s * 1e9));
    sc.triggerMode = CUPTI_PM_SAMPLING_TRIGGER_MODE_GPU_TIME_INTERVAL; // ns; GA10x and newer
    sc.hwBufferAppendMode = CUPTI_PM_SAMPLING_HARDWARE_BUFFER_APPEND_MODE_KEEP_OLDEST;
    if (!c.ok(c.pm_set_config(&sc), "cuptiPmSamplingSetConfig", e))
        return -1;
    // The image must hold a whole decode period: a full image loses samples.
    double per = std::ceil(std::max(period_s_, interval_s) / interval_s);
    std::vector<const char *> ptrs;
    for (const std::string &n : names_)
        ptrs.push_back(n.c_str());
    auto ds = params<CUpti_PmSampling_GetCounterDataSize_Params>(CUpti_PmSampling_GetCounterDataSize_Params_STRUCT_SIZE);
    ds.pPmSamplingObject = obj_;
    ds.pMetricNames = ptrs.data();
    ds.numMetrics = ptrs.size();
    ds.maxSamples = static_cast<uint32_t>(std::min(4.0 * per + 64.0, 100000.0));
    if (!c.ok(c.pm_data_size(&ds), "cuptiPmSamplingGetCounterDataSize", e))
        return -1;
    data_.assign(ds.counterDataSize, 0);
    auto di = params<CUpti_PmSampling_CounterDataImage_Initialize_Params>(CUpti_PmSampling_CounterDataImage_Initialize_Params_STRUCT_SIZE);
    di.pPmSamplingObject = obj_;
    di.counterDataSize = data_.size();
    di.pCounterData = data_.data();
    if (!c.ok(c.pm_data_init(&di), "cuptiPmSamplingCounterDataImageInitialize", e))
        return -1;
    v.assign(names_.size(), {});
    th_ = std::thread([this] { loop(); });
    return 0;
}

int PmSampler::start(const Err &e)
{
    if (!obj_)
        return e.set("PM sampling is not set up");
    if (!c_->ok(c_->timestamp(&ts0_), "cuptiGetTimestamp", e))
        return -1;
    t0_unix = unix_now();
    auto sp = params<CUpti_PmSampling_Start_Params>(CUpti_PmSampling_Start_Params_STRUCT_SIZE);
    sp.pPmSamplingObject = obj_;
    if (!c_->ok(c_->pm_start(&sp), "cuptiPmSamplingStart", e))
        return -1;
    started_ = true;
    {
        std::lock_guard<std::mutex> lock(mu_);
        phase_ = 1;
    }
    cv_.notify_all();
    return 0;
}

void PmSampler::loop()
{
    pthread_setname_np(pthread_self(), "aib-cupti-pm"); // aibench's own: the perf counters leave it out
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
        cv_.wait(lock, [this] { return phase_ != 0; });
        if (phase_ == 2)
            return;
        cv_.wait_for(lock, std::chrono::duration<double>(period_s_), [this] { return phase_ != 1; });
        if (phase_ != 1)
            continue;
        busy_ = true;
        lock.unlock();
        char msg[256] = "";
        if (decode(Err{msg, sizeof msg}) && decode_error.empty())
            decode_error = msg;
        lock.lock();
        busy_ = false;
        cv_.notify_all();
    }
}

// Decodes what the hardware buffer holds, evaluates every completed sample
// and re-initialises the image. Called by the thread while sampling and by
// stop() after it (never both: stop waits for the thread to be idle).
int PmSampler::decode(const Err &e)
{
    for (int round = 0; round < kFinalDecodes; round++) {
        if (overflow)
            return 0; // permanent: nothing more comes (counted in `lost`)
        auto dd = params<CUpti_PmSampling_DecodeData_Params>(CUpti_PmSampling_DecodeData_Params_STRUCT_SIZE);
        dd.pPmSamplingObject = obj_;
        dd.pCounterDataImage = data_.data();
        dd.counterDataImageSize = data_.size();
        CUptiResult r = c_->pm_decode(&dd);
        if (r == CUPTI_ERROR_OUT_OF_MEMORY || dd.overflow) {
            overflow = true;
            return e.set("PM sampling: the hardware buffer overflowed (samples lost; a longer --sample-interval helps)");
        }
        if (!c_->ok(r, "cuptiPmSamplingDecodeData", e))
            return -1;
        auto ci = params<CUpti_PmSampling_GetCounterDataInfo_Params>(CUpti_PmSampling_GetCounterDataInfo_Params_STRUCT_SIZE);
        ci.pCounterDataImage = data_.data();
        ci.counterDataImageSize = data_.size();
        if (!c_->ok(c_->pm_data_info(&ci), "cuptiPmSamplingGetCounterDataInfo", e))
            return -1;
        std::vector<double> vals;
        for (size_t i = 0; i < ci.numCompletedSamples; i++) {
            auto si = params<CUpti_PmSampling_CounterData_GetSampleInfo_Params>(CUpti_PmSampling_CounterData_GetSampleInfo_Params_STRUCT_SIZE);
            si.pPmSamplingObject = obj_;
            si.pCounterDataImage = data_.data();
            si.counterDataImageSize = data_.size();
            si.sampleIndex = i;
            if (!c_->ok(c_->pm_sample_info(&si), "cuptiPmSamplingCounterDataGetSampleInfo", e))
                return -1;
            // Samples without a span (after stop, or lost ones) cover no time.
            if (si.startTimestamp == 0 || si.endTimestamp <= si.startTimestamp) {
                lost++;
                continue;
            }
            if (evaluate(*host_, data_, i, names_, vals, e))
                return -1;
            // CUPTI timestamps are ns (unix time, as cuptiGetTimestamp's at
            // start); should the GPU's clock domain differ, the samples are
            // placed relative to the first one. A sample sits at its end.
            if (!base_)
                base_ = si.startTimestamp + 1000000000ull >= ts0_ && si.startTimestamp <= ts0_ + 86400000000000ull
                            ? ts0_
                            : si.startTimestamp;
            double at = si.endTimestamp >= base_ ? static_cast<double>(si.endTimestamp - base_) * 1e-9 : 0.0;
            t.push_back(at);
            for (size_t m = 0; m < names_.size(); m++)
                v[m].push_back(vals[m]);
        }
        auto di = params<CUpti_PmSampling_CounterDataImage_Initialize_Params>(CUpti_PmSampling_CounterDataImage_Initialize_Params_STRUCT_SIZE);
        di.pPmSamplingObject = obj_;
        di.counterDataSize = data_.size();
        di.pCounterData = data_.data();
        if (!c_->ok(c_->pm_data_init(&di), "cuptiPmSamplingCounterDataImageInitialize", e))
            return -1;
        if (dd.decodeStopReason != CUPTI_PM_SAMPLING_DECODE_STOP_REASON_COUNTER_DATA_FULL)
            return 0; // the hardware buffer is drained
    }
    return 0;
}

int PmSampler::stop(const Err &e)
{
    {
        std::unique_lock<std::mutex> lock(mu_);
        if (phase_ == 1)
            phase_ = 0;
        cv_.notify_all();
        cv_.wait(lock, [this] { return !busy_; });
    }
    if (!obj_ || !started_)
        return e.set("PM sampling was not started");
    auto sp = params<CUpti_PmSampling_Stop_Params>(CUpti_PmSampling_Stop_Params_STRUCT_SIZE);
    sp.pPmSamplingObject = obj_;
    int rc = c_->ok(c_->pm_stop(&sp), "cuptiPmSamplingStop", e) ? 0 : -1;
    started_ = false;
    if (rc == 0 && decode(e))
        rc = -1;
    release();
    return rc;
}

} // namespace aibcupti
