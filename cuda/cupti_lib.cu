// Loading CUPTI at run time (see cupti_lib.cuh).
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "cupti_lib.cuh"

namespace aibcupti {

// Short enough for a metric's 127-character note, with the fix.
const char *const kNoPermission = "no permission (CUPTI_ERROR_INSUFFICIENT_PRIVILEGES): run as root, or load nvidia with "
                                  "NVreg_RestrictProfilingToAdminUsers=0";

namespace {

constexpr int kCuptiMajor = CUPTI_API_VERSION / 10000; // 130001 -> 13

// Where the plugin itself lies: CUPTI may be shipped next to it.
std::string plugin_dir()
{
    Dl_info info;
    if (!dladdr(reinterpret_cast<void *>(&plugin_dir), &info) || !info.dli_fname)
        return "";
    std::string f = info.dli_fname;
    size_t slash = f.rfind('/');
    return slash == std::string::npos ? "" : f.substr(0, slash);
}

bool exists(const char *path) { return access(path, R_OK) == 0; }

} // namespace

Cupti::~Cupti()
{
    // RTLD_NODELETE keeps the code mapped: CUPTI holds process-wide state
    // (callbacks, the profiler initialisation) that must outlive a handle.
    if (h_cupti)
        dlclose(h_cupti);
    if (h_nvperf)
        dlclose(h_nvperf);
}

const char *Cupti::name_of(CUptiResult r) const
{
    const char *s = nullptr;
    if (!result_string || result_string(r, &s) != CUPTI_SUCCESS || !s)
        return "unknown CUPTI error";
    return s;
}

bool Cupti::ok(CUptiResult r, const char *what, const Err &e) const
{
    if (r == CUPTI_SUCCESS)
        return true;
    if (r == CUPTI_ERROR_INSUFFICIENT_PRIVILEGES)
        e.set("%s", kNoPermission); // the fix must survive a short note: no prefix
    else
        e.set("%s: %s (code %d)", what, name_of(r), static_cast<int>(r));
    return false;
}

// Searches: $AIBENCH_CUPTI_PATH alone when set; else the plugin's folder,
// $CUDA_HOME/{lib64,extras/CUPTI/lib64}, /usr/local/cuda/lib64,
// /usr/local/cuda/targets/x86_64-linux/lib, /usr/local/cuda/extras/CUPTI/lib64,
// then the loader's default path. libnvperf_host is opened first, by
// absolute path and RTLD_GLOBAL: libcupti looks it up by name at run time,
// where the executable's RUNPATH does not reach (host calls would fail with
// CUPTI_ERROR_NOT_INITIALIZED).
int Cupti::load(const Err &e)
{
    // libcupti opens libnvperf_host itself with RTLD_DEEPBIND, which
    // AddressSanitizer's dlopen refuses by aborting the process: say so
    // instead (the sanitized test builds check this line).
    if (dlsym(RTLD_DEFAULT, "__asan_init"))
        return e.set("CUPTI cannot run in a process built with AddressSanitizer (libcupti opens libnvperf_host "
                     "with RTLD_DEEPBIND, which the sanitizer refuses): use a build without sanitizers");
    char soname[32];
    std::snprintf(soname, sizeof soname, "libcupti.so.%d", kCuptiMajor);
    const std::string nvperf = "libnvperf_host.so";
    std::vector<std::string> dirs;
    const char *only = std::getenv("AIBENCH_CUPTI_PATH");
    const char *home = std::getenv("CUDA_HOME");
    if (only && only[0]) {
        dirs.push_back(only);
    } else {
        std::string own = plugin_dir();
        if (!own.empty())
            dirs.push_back(own);
        if (home && home[0]) {
            dirs.push_back(std::string(home) + "/lib64");
            dirs.push_back(std::string(home) + "/extras/CUPTI/lib64");
        }
        dirs.push_back("/usr/local/cuda/lib64");
        dirs.push_back("/usr/local/cuda/targets/x86_64-linux/lib");
        dirs.push_back("/usr/local/cuda/extras/CUPTI/lib64");
    }
    std::string tried, found;
    for (const std::string &d : dirs) {
        std::string pc = d + "/" + soname, pn = d + "/" + nvperf;
        tried += (tried.empty() ? "" : ", ") + d;
        if (!exists(pc.c_str()))
            continue;
        if (!exists(pn.c_str()))
            return e.set("%s is in %s but %s is not: CUPTI's host library is missing", soname, d.c_str(),
                         nvperf.c_str());
        if (!(h_nvperf = dlopen(pn.c_str(), RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE)) ||
            !(h_cupti = dlopen(pc.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE))) {
            const char *de = dlerror();
            return e.set("cannot load %s: %s", h_nvperf ? pc.c_str() : pn.c_str(), de ? de : "dlopen failed");
        }
        found = pc;
        break;
    }
    const char *why = soname;
    if (!h_cupti && !(only && only[0])) {
        // The default path: LD_LIBRARY_PATH and the ld.so cache.
        tried += ", the library path";
        h_nvperf = dlopen(nvperf.c_str(), RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
        if (h_nvperf && (h_cupti = dlopen(soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)))
            found = std::string(soname) + " (library path)";
        else if (!h_nvperf)
            why = nvperf.c_str();
    }
    if (!h_cupti)
        return e.set("CUPTI not found: %s (looked in %s; install the CUDA toolkit's CUPTI or set "
                     "AIBENCH_CUPTI_PATH to its folder)",
                     why, tried.c_str());
    std::snprintf(where, sizeof where, "%s", found.c_str());
    bool all = true;
    const char *missing = nullptr;
    auto get = [&](auto &fn, const char *sym) {
        dlerror();
        fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(h_cupti, sym));
        if (!fn && all) {
            all = false;
            missing = sym;
        }
    };
    get(result_string, "cuptiGetResultString");
    get(get_version, "cuptiGetVersion");
    get(timestamp, "cuptiGetTimestamp");
    get(host_init, "cuptiProfilerHostInitialize");
    get(host_deinit, "cuptiProfilerHostDeinitialize");
    get(host_chips, "cuptiProfilerHostGetSupportedChips");
    get(host_base_metrics, "cuptiProfilerHostGetBaseMetrics");
    get(host_properties, "cuptiProfilerHostGetMetricProperties");
    get(host_add_metrics, "cuptiProfilerHostConfigAddMetrics");
    get(host_config_size, "cuptiProfilerHostGetConfigImageSize");
    get(host_config_image, "cuptiProfilerHostGetConfigImage");
    get(host_passes, "cuptiProfilerHostGetNumOfPasses");
    get(host_evaluate, "cuptiProfilerHostEvaluateToGpuValues");
    get(prof_init, "cuptiProfilerInitialize");
    get(prof_deinit, "cuptiProfilerDeInitialize");
    get(device_supported, "cuptiProfilerDeviceSupported");
    get(chip_name, "cuptiDeviceGetChipName");
    get(counter_availability, "cuptiProfilerGetCounterAvailability");
    get(rp_enable, "cuptiRangeProfilerEnable");
    get(rp_disable, "cuptiRangeProfilerDisable");
    get(rp_data_size, "cuptiRangeProfilerGetCounterDataSize");
    get(rp_data_init, "cuptiRangeProfilerCounterDataImageInitialize");
    get(rp_set_config, "cuptiRangeProfilerSetConfig");
    get(rp_start, "cuptiRangeProfilerStart");
    get(rp_stop, "cuptiRangeProfilerStop");
    get(rp_push, "cuptiRangeProfilerPushRange");
    get(rp_pop, "cuptiRangeProfilerPopRange");
    get(rp_decode, "cuptiRangeProfilerDecodeData");
    get(rp_data_info, "cuptiRangeProfilerGetCounterDataInfo");
    get(pm_availability, "cuptiPmSamplingGetCounterAvailability");
    get(pm_enable, "cuptiPmSamplingEnable");
    get(pm_disable, "cuptiPmSamplingDisable");
    get(pm_set_config, "cuptiPmSamplingSetConfig");
    get(pm_data_size, "cuptiPmSamplingGetCounterDataSize");
    get(pm_data_init, "cuptiPmSamplingCounterDataImageInitialize");
    get(pm_start, "cuptiPmSamplingStart");
    get(pm_stop, "cuptiPmSamplingStop");
    get(pm_decode, "cuptiPmSamplingDecodeData");
    get(pm_data_info, "cuptiPmSamplingGetCounterDataInfo");
    get(pm_sample_info, "cuptiPmSamplingCounterDataGetSampleInfo");
    get(act_register, "cuptiActivityRegisterCallbacks");
    get(act_enable, "cuptiActivityEnable");
    get(act_disable, "cuptiActivityDisable");
    get(act_flush_all, "cuptiActivityFlushAll");
    get(act_next, "cuptiActivityGetNextRecord");
    get(act_dropped, "cuptiActivityGetNumDroppedRecords");
    if (!all) {
        e.set("%s has no %s (CUPTI older than the %d.x this plugin was built for)", where, missing, kCuptiMajor);
        return -1;
    }
    if (!ok(get_version(&version), "cuptiGetVersion", e))
        return -1;
    // The activity record layouts and the profiler structs are those of the
    // headers built against: refuse another major version.
    if (version / 10000 != static_cast<uint32_t>(kCuptiMajor)) {
        e.set("%s is CUPTI API version %u; this plugin was built for %d.x (CUPTI_API_VERSION %d)", where,
              version, kCuptiMajor, CUPTI_API_VERSION);
        return -1;
    }
    size_t used = std::strlen(where);
    std::snprintf(where + used, sizeof where - used, ", CUPTI API version %u", version);
    return 0;
}

} // namespace aibcupti
