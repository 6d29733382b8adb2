// CUPTI's host API: chips, metric lists and properties, validation of a
// metric set, config images and pass counts, evaluation of decoded data.
// None of it needs a GPU or a driver (checked on the CUDA 13.0 toolkit).
#include <algorithm>
#include <cstring>

#include "cupti.cuh"

namespace aibcupti {

namespace {

// Range Profiler, one pass on GH100 (cuda-notes.md): DRAM traffic, GPU
// time, how busy the SMs and the tensor pipes were, achieved occupancy.
const char *const kRangeDefault[] = {
    "dram__bytes_read.sum",
    "dram__bytes_write.sum",
    "gpu__time_duration.sum",
    "sm__cycles_active.avg.pct_of_peak_sustained_elapsed",
    "sm__inst_executed_pipe_tensor.sum",
    "sm__pipe_tensor_cycles_active.avg.pct_of_peak_sustained_elapsed",
    "sm__warps_active.avg.pct_of_peak_sustained_active",
};
// PM sampling, one pass on GH100, GA100 and AD102: rates, so every sample
// reads the same whatever the interval.
const char *const kPmDefault[] = {
    "gpc__cycles_elapsed.avg.per_second",
    "dram__bytes_read.sum.per_second",
    "dram__bytes_write.sum.per_second",
    "dram__throughput.avg.pct_of_peak_sustained_elapsed",
    "sm__inst_executed_realtime.sum.per_second",
    "sm__pipe_tensor_cycles_active_realtime.avg.pct_of_peak_sustained_elapsed",
    "sm__warps_active_realtime.avg.pct_of_peak_sustained_active",
    "pcie__read_bytes.sum.per_second",
    "pcie__write_bytes.sum.per_second",
};

const char *kind_name(int kind) { return kind == AIB_CUPTI_PM ? "PM sampling" : "the range profiler"; }

// Levenshtein distance, for "did you mean".
size_t distance(const std::string &a, const std::string &b)
{
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); j++)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); j++) {
            size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
            diag = up;
        }
    }
    return row[b.size()];
}

// "dram__bytes_reed.sum" -> "dram__bytes_reed"; the rest goes into *tail.
std::string base_of(const std::string &name, std::string *tail)
{
    size_t u = name.find("__");
    size_t dot = name.find('.', u == std::string::npos ? 0 : u);
    if (tail)
        *tail = dot == std::string::npos ? "" : name.substr(dot);
    return name.substr(0, dot);
}

// The known base metric nearest to the base of `name`, "" when none is close.
std::string nearest(const Host &h, const std::string &name)
{
    std::string tail, base = base_of(name, &tail), best;
    size_t best_d = std::max<size_t>(2, base.size() / 5) + 1;
    for (int t = 0; t < CUPTI_METRIC_TYPE__COUNT; t++) {
        auto p = params<CUpti_Profiler_Host_GetBaseMetrics_Params>(CUpti_Profiler_Host_GetBaseMetrics_Params_STRUCT_SIZE);
        p.pHostObject = h.obj;
        p.metricType = static_cast<CUpti_MetricType>(t);
        if (h.c.host_base_metrics(&p) != CUPTI_SUCCESS)
            continue;
        for (size_t i = 0; i < p.numMetrics; i++) {
            size_t d = distance(base, p.ppMetricNames[i]);
            if (d < best_d) {
                best_d = d;
                best = p.ppMetricNames[i];
            }
        }
    }
    return best.empty() ? best : best + tail;
}

// Adds names to a fresh host object of h's chip and kind: the CUPTI result.
CUptiResult try_add(const Host &h, const char *const *names, size_t n, const Err &e, bool *init_ok)
{
    Host t(h.c);
    *init_ok = t.init(h.kind, h.chip.c_str(), nullptr, e) == 0;
    if (!*init_ok)
        return CUPTI_ERROR_UNKNOWN;
    auto a = params<CUpti_Profiler_Host_ConfigAddMetrics_Params>(CUpti_Profiler_Host_ConfigAddMetrics_Params_STRUCT_SIZE);
    a.pHostObject = t.obj;
    a.ppMetricNames = const_cast<const char **>(names);
    a.numMetrics = n;
    return h.c.host_add_metrics(&a);
}

// ConfigAddMetrics refused the whole set: find out which name and why.
int explain_refusal(const Host &h, const std::vector<const char *> &names, CUptiResult whole, const Err &e)
{
    bool init_ok = true;
    for (size_t i = 0; i < names.size(); i++) {
        CUptiResult r = try_add(h, &names[i], 1, e, &init_ok);
        if (!init_ok)
            return -1;
        if (r != CUPTI_SUCCESS) {
            e.set("metric '%s' cannot be collected as named by %s on %s (%s): a counter or throughput needs "
                  "a rollup (.sum, .avg, .min or .max) and may take a submetric (.per_second, "
                  ".pct_of_peak_sustained_elapsed, ...); a ratio takes .ratio, .pct or .max_rate",
                  names[i], kind_name(h.kind), h.chip.c_str(), h.c.name_of(r));
            return AIB_CUPTI_EBADNAME;
        }
    }
    for (size_t i = 2; i <= names.size(); i++) {
        CUptiResult r = try_add(h, names.data(), i, e, &init_ok);
        if (!init_ok)
            return -1;
        if (r != CUPTI_SUCCESS) {
            e.set("metric '%s' cannot be collected together with the metrics before it by %s on %s (%s): "
                  "device-level counters (pcie__*, nvl*, ctc__*) do not mix with the others; measure them "
                  "in a separate run",
                  names[i - 1], kind_name(h.kind), h.chip.c_str(), h.c.name_of(r));
            return AIB_CUPTI_EBADNAME;
        }
    }
    return h.c.ok(whole, "cuptiProfilerHostConfigAddMetrics", e) ? 0 : -1;
}

} // namespace

Names default_set(int kind)
{
    Names out;
    if (kind == AIB_CUPTI_PM)
        out.assign(std::begin(kPmDefault), std::end(kPmDefault));
    else
        out.assign(std::begin(kRangeDefault), std::end(kRangeDefault));
    return out;
}

const char *default_list(int kind)
{
    // Built once from the tables above; static storage for the C caller.
    static const std::string range = [] {
        std::string s;
        for (const char *n : kRangeDefault)
            s += (s.empty() ? "" : ",") + std::string(n);
        return s;
    }();
    static const std::string pm = [] {
        std::string s;
        for (const char *n : kPmDefault)
            s += (s.empty() ? "" : ",") + std::string(n);
        return s;
    }();
    return kind == AIB_CUPTI_PM ? pm.c_str() : range.c_str();
}

Host::~Host()
{
    if (obj) {
        auto p = params<CUpti_Profiler_Host_Deinitialize_Params>(CUpti_Profiler_Host_Deinitialize_Params_STRUCT_SIZE);
        p.pHostObject = obj;
        c.host_deinit(&p); // nothing to do about a failure here
    }
}

int Host::init(int k, const char *chip_name, const uint8_t *avail, const Err &e)
{
    kind = k;
    chip = chip_name;
    auto p = params<CUpti_Profiler_Host_Initialize_Params>(CUpti_Profiler_Host_Initialize_Params_STRUCT_SIZE);
    p.profilerType = k == AIB_CUPTI_PM ? CUPTI_PROFILER_TYPE_PM_SAMPLING : CUPTI_PROFILER_TYPE_RANGE_PROFILER;
    p.pChipName = chip_name;
    p.pCounterAvailabilityImage = avail;
    CUptiResult r = c.host_init(&p);
    if (r == CUPTI_ERROR_INVALID_CHIP_NAME) {
        std::string all;
        Err quiet{nullptr, 0};
        if (chips(c, all, quiet) != 0)
            all = "?";
        e.set("unknown chip '%s' (CUPTI %u knows: %s)", chip_name, c.version, all.c_str());
        return AIB_CUPTI_EBADNAME;
    }
    if (!c.ok(r, "cuptiProfilerHostInitialize", e))
        return -1;
    obj = p.pHostObject;
    return 0;
}

CUptiResult Host::properties(const char *name, CUpti_Profiler_Host_GetMetricProperties_Params &p) const
{
    std::memset(&p, 0, sizeof p);
    p.structSize = CUpti_Profiler_Host_GetMetricProperties_Params_STRUCT_SIZE;
    p.pHostObject = obj;
    p.pMetricName = name;
    return c.host_properties(&p);
}

int chips(const Cupti &c, std::string &out, const Err &e)
{
    auto p = params<CUpti_Profiler_Host_GetSupportedChips_Params>(CUpti_Profiler_Host_GetSupportedChips_Params_STRUCT_SIZE);
    if (!c.ok(c.host_chips(&p), "cuptiProfilerHostGetSupportedChips", e))
        return -1;
    out.clear();
    for (size_t i = 0; i < p.numChips; i++)
        out += (i ? "," : "") + std::string(p.ppChipNames[i]);
    return 0;
}

int configure(Host &h, const Names &names, std::vector<uint8_t> &image, size_t *passes, const Err &e)
{
    if (names.empty())
        return e.set("no metrics given");
    std::vector<const char *> ptrs;
    for (const std::string &n : names) {
        CUpti_Profiler_Host_GetMetricProperties_Params p;
        CUptiResult r = h.properties(n.c_str(), p);
        if (r == CUPTI_ERROR_INVALID_METRIC_NAME) {
            std::string near = nearest(h, n);
            e.set("unknown metric '%s' for %s on %s%s%s%s (aibench metrics --chip %s lists them)", n.c_str(),
                  kind_name(h.kind), h.chip.c_str(), near.empty() ? "" : ": did you mean '",
                  near.empty() ? "" : near.c_str(), near.empty() ? "" : "'?", h.chip.c_str());
            return AIB_CUPTI_EBADNAME;
        }
        if (!h.c.ok(r, "cuptiProfilerHostGetMetricProperties", e))
            return -1;
        ptrs.push_back(n.c_str());
    }
    auto a = params<CUpti_Profiler_Host_ConfigAddMetrics_Params>(CUpti_Profiler_Host_ConfigAddMetrics_Params_STRUCT_SIZE);
    a.pHostObject = h.obj;
    a.ppMetricNames = ptrs.data();
    a.numMetrics = ptrs.size();
    CUptiResult r = h.c.host_add_metrics(&a);
    if (r != CUPTI_SUCCESS)
        return explain_refusal(h, ptrs, r, e);
    auto s = params<CUpti_Profiler_Host_GetConfigImageSize_Params>(CUpti_Profiler_Host_GetConfigImageSize_Params_STRUCT_SIZE);
    s.pHostObject = h.obj;
    if (!h.c.ok(h.c.host_config_size(&s), "cuptiProfilerHostGetConfigImageSize", e))
        return -1;
    image.assign(s.configImageSize, 0);
    auto g = params<CUpti_Profiler_Host_GetConfigImage_Params>(CUpti_Profiler_Host_GetConfigImage_Params_STRUCT_SIZE);
    g.pHostObject = h.obj;
    g.configImageSize = image.size();
    g.pConfigImage = image.data();
    if (!h.c.ok(h.c.host_config_image(&g), "cuptiProfilerHostGetConfigImage", e))
        return -1;
    auto np = params<CUpti_Profiler_Host_GetNumOfPasses_Params>(CUpti_Profiler_Host_GetNumOfPasses_Params_STRUCT_SIZE);
    np.configImageSize = image.size();
    np.pConfigImage = image.data();
    if (!h.c.ok(h.c.host_passes(&np), "cuptiProfilerHostGetNumOfPasses", e))
        return -1;
    *passes = np.numOfPasses;
    return 0;
}

int evaluate(const Host &h, std::vector<uint8_t> &data, size_t index, const Names &names, std::vector<double> &out,
             const Err &e)
{
    std::vector<const char *> ptrs;
    for (const std::string &n : names)
        ptrs.push_back(n.c_str());
    out.assign(names.size(), 0.0);
    auto p = params<CUpti_Profiler_Host_EvaluateToGpuValues_Params>(CUpti_Profiler_Host_EvaluateToGpuValues_Params_STRUCT_SIZE);
    p.pHostObject = h.obj;
    p.pCounterDataImage = data.data();
    p.counterDataImageSize = data.size();
    p.rangeIndex = index;
    p.ppMetricNames = ptrs.data();
    p.numMetrics = ptrs.size();
    p.pMetricValues = out.data();
    return h.c.ok(h.c.host_evaluate(&p), "cuptiProfilerHostEvaluateToGpuValues", e) ? 0 : -1;
}

std::string unit_of(const Host &h, const std::string &name)
{
    CUpti_Profiler_Host_GetMetricProperties_Params p;
    if (h.properties(name.c_str(), p) != CUPTI_SUCCESS || !p.pDimUnit)
        return "";
    return p.pDimUnit;
}

int device_supported(const Cupti &c, int device, CUpti_Profiler_API api, const Err &e)
{
    auto p = params<CUpti_Profiler_DeviceSupported_Params>(CUpti_Profiler_DeviceSupported_Params_STRUCT_SIZE);
    p.cuDevice = device;
    p.api = api;
    if (!c.ok(c.device_supported(&p), "cuptiProfilerDeviceSupported", e))
        return -1;
    if (p.isSupported == CUPTI_PROFILER_CONFIGURATION_SUPPORTED)
        return 0;
    const struct {
        CUpti_Profiler_Support_Level level;
        const char *what;
    } parts[] = {{p.architecture, "the GPU architecture (compute capability 7.0 or newer needed)"},
                 {p.sli, "SLI"},
                 {p.vGpu, "vGPU (profiling must be enabled for the vGPU)"},
                 {p.confidentialCompute, "confidential computing"},
                 {p.cmp, "a CMP (mining) part"},
                 {p.wsl, "WSL"}};
    for (const auto &x : parts)
        if (x.level != CUPTI_PROFILER_CONFIGURATION_SUPPORTED)
            return e.set("CUPTI cannot profile this device: %s %s", x.what,
                         x.level == CUPTI_PROFILER_CONFIGURATION_DISABLED ? "(disabled)" : "(unsupported)");
    return e.set("CUPTI cannot profile this device (cuptiProfilerDeviceSupported says unsupported)");
}

} // namespace aibcupti
