// CUPTI and libnvperf_host, loaded with dlopen at first use so the plugin
// loads (and everything but the GPU counters works) where CUPTI is absent.
// Linking -lcupti would make libcupti.so.13 a load-time dependency of
// aibench-cuda.so: on a machine without it (a CUDA install without CUPTI,
// or CUPTI outside the loader's path and cache) the whole plugin, and so
// every CUDA device, would fail to load. Function pointer types come from the
// real headers through decltype; every CUPTI call's result is checked.
#ifndef AIB_CUDA_CUPTI_LIB_CUH
#define AIB_CUDA_CUPTI_LIB_CUH

#include <cupti_activity.h>
#include <cupti_pmsampling.h>
#include <cupti_profiler_host.h>
#include <cupti_profiler_target.h>
#include <cupti_range_profiler.h>
#include <cupti_result.h>
#include <cupti_target.h>
#include <cupti_version.h>

#include "common.cuh"

namespace aibcupti {

using aibcuda::Err;

struct Cupti {
    void *h_nvperf = nullptr, *h_cupti = nullptr;
    char where[512] = ""; // the files loaded and the version, for messages
    uint32_t version = 0; // cuptiGetVersion

    decltype(&cuptiGetResultString) result_string = nullptr;
    decltype(&cuptiGetVersion) get_version = nullptr;
    decltype(&cuptiGetTimestamp) timestamp = nullptr;
    // host API (no GPU needed)
    decltype(&cuptiProfilerHostInitialize) host_init = nullptr;
    decltype(&cuptiProfilerHostDeinitialize) host_deinit = nullptr;
    decltype(&cuptiProfilerHostGetSupportedChips) host_chips = nullptr;
    decltype(&cuptiProfilerHostGetBaseMetrics) host_base_metrics = nullptr;
    decltype(&cuptiProfilerHostGetMetricProperties) host_properties = nullptr;
    decltype(&cuptiProfilerHostConfigAddMetrics) host_add_metrics = nullptr;
    decltype(&cuptiProfilerHostGetConfigImageSize) host_config_size = nullptr;
    decltype(&cuptiProfilerHostGetConfigImage) host_config_image = nullptr;
    decltype(&cuptiProfilerHostGetNumOfPasses) host_passes = nullptr;
    decltype(&cuptiProfilerHostEvaluateToGpuValues) host_evaluate = nullptr;
    // target (device) side
    decltype(&cuptiProfilerInitialize) prof_init = nullptr;
    decltype(&cuptiProfilerDeInitialize) prof_deinit = nullptr;
    decltype(&cuptiProfilerDeviceSupported) device_supported = nullptr;
    decltype(&cuptiDeviceGetChipName) chip_name = nullptr;
    decltype(&cuptiProfilerGetCounterAvailability) counter_availability = nullptr;
    // range profiler
    decltype(&cuptiRangeProfilerEnable) rp_enable = nullptr;
    decltype(&cuptiRangeProfilerDisable) rp_disable = nullptr;
    decltype(&cuptiRangeProfilerGetCounterDataSize) rp_data_size = nullptr;
    decltype(&cuptiRangeProfilerCounterDataImageInitialize) rp_data_init = nullptr;
    decltype(&cuptiRangeProfilerSetConfig) rp_set_config = nullptr;
    decltype(&cuptiRangeProfilerStart) rp_start = nullptr;
    decltype(&cuptiRangeProfilerStop) rp_stop = nullptr;
    decltype(&cuptiRangeProfilerPushRange) rp_push = nullptr;
    decltype(&cuptiRangeProfilerPopRange) rp_pop = nullptr;
    decltype(&cuptiRangeProfilerDecodeData) rp_decode = nullptr;
    decltype(&cuptiRangeProfilerGetCounterDataInfo) rp_data_info = nullptr;
    // PM sampling
    decltype(&cuptiPmSamplingGetCounterAvailability) pm_availability = nullptr;
    decltype(&cuptiPmSamplingEnable) pm_enable = nullptr;
    decltype(&cuptiPmSamplingDisable) pm_disable = nullptr;
    decltype(&cuptiPmSamplingSetConfig) pm_set_config = nullptr;
    decltype(&cuptiPmSamplingGetCounterDataSize) pm_data_size = nullptr;
    decltype(&cuptiPmSamplingCounterDataImageInitialize) pm_data_init = nullptr;
    decltype(&cuptiPmSamplingStart) pm_start = nullptr;
    decltype(&cuptiPmSamplingStop) pm_stop = nullptr;
    decltype(&cuptiPmSamplingDecodeData) pm_decode = nullptr;
    decltype(&cuptiPmSamplingGetCounterDataInfo) pm_data_info = nullptr;
    decltype(&cuptiPmSamplingCounterDataGetSampleInfo) pm_sample_info = nullptr;
    // activity API
    decltype(&cuptiActivityRegisterCallbacks) act_register = nullptr;
    decltype(&cuptiActivityEnable) act_enable = nullptr;
    decltype(&cuptiActivityDisable) act_disable = nullptr;
    decltype(&cuptiActivityFlushAll) act_flush_all = nullptr;
    decltype(&cuptiActivityGetNextRecord) act_next = nullptr;
    decltype(&cuptiActivityGetNumDroppedRecords) act_dropped = nullptr;

    Cupti() = default;
    Cupti(const Cupti &) = delete;
    Cupti &operator=(const Cupti &) = delete;
    ~Cupti();
    // Loads both libraries and every symbol: 0, or -1 naming what is missing.
    int load(const Err &e);
    // true when r is CUPTI_SUCCESS; otherwise one line in e naming `what`
    // and the error (with the fix for CUPTI_ERROR_INSUFFICIENT_PRIVILEGES).
    bool ok(CUptiResult r, const char *what, const Err &e) const;
    const char *name_of(CUptiResult r) const;
};

// A CUPTI parameter struct, zeroed, with its structSize set.
template <typename P> P params(size_t size)
{
    P p{};
    p.structSize = size;
    return p;
}

// The one line for missing profiling permission, with the fix.
extern const char *const kNoPermission;

} // namespace aibcupti

#endif
