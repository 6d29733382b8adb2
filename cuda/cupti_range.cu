// The Range Profiler: counter values over one user range around the
// replayed work, with user replay (the work runs once per pass).
//
// Why user range + user replay: the engine times run(iters) calls and the
// counters must cover what one call does. Kernel replay only exists with
// auto range (one range per kernel, a context synchronisation after each,
// and cuBLAS calls of several kernels split into pieces to add up again,
// which is wrong for averages and percentages). With a user range the
// values are those of the whole replayed call, whatever kernels it
// launches. The jobs' iterations overwrite their outputs from unchanged
// inputs, so running the work again per pass needs no checkpoint.
#include <cuda.h>

#include "cupti.cuh"

namespace aibcupti {

namespace {

constexpr size_t kRanges = 4;      // one range per pass is used; room to see extra ones as dropped
constexpr size_t kMaxPasses = 128; // a safety stop; CUPTI says when all passes are in

// The primary context cudart made current for `device`. cuCtxGetCurrent
// comes through cudart's entry-point query: libcuda is never linked.
int current_context(int device, CUcontext *ctx, const Err &e)
{
    using GetCurrent = CUresult (*)(CUcontext *);
    void *fn = nullptr;
    cudaDriverEntryPointQueryResult q = cudaDriverEntryPointSymbolNotFound;
    if (!aibcuda::ok(cudaSetDevice(device), "cudaSetDevice", e) ||
        !aibcuda::ok(cudaFree(nullptr), "cudaFree(0) (context creation)", e) ||
        !aibcuda::ok(cudaGetDriverEntryPointByVersion("cuCtxGetCurrent", &fn, 12000, cudaEnableDefault, &q),
                     "cudaGetDriverEntryPointByVersion(cuCtxGetCurrent)", e))
        return -1;
    if (q != cudaDriverEntryPointSuccess || !fn)
        return e.set("the driver has no cuCtxGetCurrent (entry point query result %d)", static_cast<int>(q));
    CUresult r = reinterpret_cast<GetCurrent>(fn)(ctx);
    if (r != CUDA_SUCCESS || !*ctx)
        return e.set("cuCtxGetCurrent failed (CUresult %d)", static_cast<int>(r));
    return 0;
}

// The range profiler object of a context, disabled when it goes out of scope.
struct Enabled {
    const Cupti &c;
    CUpti_RangeProfiler_Object *obj = nullptr;
    explicit Enabled(const Cupti &cupti) : c(cupti) {}
    Enabled(const Enabled &) = delete;
    Enabled &operator=(const Enabled &) = delete;
    ~Enabled()
    {
        if (obj) {
            auto p = params<CUpti_RangeProfiler_Disable_Params>(CUpti_RangeProfiler_Disable_Params_STRUCT_SIZE);
            p.pRangeProfilerObject = obj;
            c.rp_disable(&p); // teardown: nothing left to do about a failure
        }
    }
};

int counter_availability(const Cupti &c, CUcontext ctx, std::vector<uint8_t> &img, const Err &e)
{
    auto p = params<CUpti_Profiler_GetCounterAvailability_Params>(CUpti_Profiler_GetCounterAvailability_Params_STRUCT_SIZE);
    p.ctx = ctx;
    if (!c.ok(c.counter_availability(&p), "cuptiProfilerGetCounterAvailability (size)", e))
        return -1;
    img.assign(p.counterAvailabilityImageSize, 0);
    p.pCounterAvailabilityImage = img.data();
    return c.ok(c.counter_availability(&p), "cuptiProfilerGetCounterAvailability", e) ? 0 : -1;
}

// One pass: the work inside the range, the range inside Start/Stop. Pop
// and Stop run even when the work failed, so the profiler is left clean.
int one_pass(const Cupti &c, CUpti_RangeProfiler_Object *obj, const Work &work, bool *all_in, const Err &e)
{
    auto st = params<CUpti_RangeProfiler_Start_Params>(CUpti_RangeProfiler_Start_Params_STRUCT_SIZE);
    st.pRangeProfilerObject = obj;
    if (!c.ok(c.rp_start(&st), "cuptiRangeProfilerStart", e))
        return -1;
    auto pu = params<CUpti_RangeProfiler_PushRange_Params>(CUpti_RangeProfiler_PushRange_Params_STRUCT_SIZE);
    pu.pRangeProfilerObject = obj;
    pu.pRangeName = "aibench";
    bool pushed = c.ok(c.rp_push(&pu), "cuptiRangeProfilerPushRange", e);
    int rc = pushed ? work(e) : -1;
    if (pushed) {
        auto po = params<CUpti_RangeProfiler_PopRange_Params>(CUpti_RangeProfiler_PopRange_Params_STRUCT_SIZE);
        po.pRangeProfilerObject = obj;
        if (!c.ok(c.rp_pop(&po), "cuptiRangeProfilerPopRange", rc ? Err{nullptr, 0} : e))
            rc = -1;
    }
    auto sp = params<CUpti_RangeProfiler_Stop_Params>(CUpti_RangeProfiler_Stop_Params_STRUCT_SIZE);
    sp.pRangeProfilerObject = obj;
    if (!c.ok(c.rp_stop(&sp), "cuptiRangeProfilerStop", rc ? Err{nullptr, 0} : e))
        rc = -1;
    *all_in = sp.isAllPassSubmitted != 0;
    return rc;
}

} // namespace

int range_profile(const Cupti &c, int device, const std::string &chip, const Names &names, const Work &work,
                  RangeResult &out, const Err &e)
{
    CUcontext ctx = nullptr;
    std::vector<uint8_t> avail, config, data;
    if (current_context(device, &ctx, e) || counter_availability(c, ctx, avail, e))
        return -1;
    Host h(c);
    if (h.init(AIB_CUPTI_RANGE, chip.c_str(), avail.data(), e) || configure(h, names, config, &out.passes, e))
        return -1;
    Enabled en(c);
    auto ep = params<CUpti_RangeProfiler_Enable_Params>(CUpti_RangeProfiler_Enable_Params_STRUCT_SIZE);
    ep.ctx = ctx;
    if (!c.ok(c.rp_enable(&ep), "cuptiRangeProfilerEnable", e))
        return -1;
    en.obj = ep.pRangeProfilerObject;

    std::vector<const char *> ptrs;
    for (const std::string &n : names)
        ptrs.push_back(n.c_str());
    auto ds = params<CUpti_RangeProfiler_GetCounterDataSize_Params>(CUpti_RangeProfiler_GetCounterDataSize_Params_STRUCT_SIZE);
    ds.pRangeProfilerObject = en.obj;
    ds.pMetricNames = ptrs.data();
    ds.numMetrics = ptrs.size();
    ds.maxNumOfRanges = kRanges;
    ds.maxNumRangeTreeNodes = kRanges;
    if (!c.ok(c.rp_data_size(&ds), "cuptiRangeProfilerGetCounterDataSize", e))
        return -1;
    data.assign(ds.counterDataSize, 0);
    auto di = params<CUpti_RangeProfiler_CounterDataImage_Initialize_Params>(CUpti_RangeProfiler_CounterDataImage_Initialize_Params_STRUCT_SIZE);
    di.pRangeProfilerObject = en.obj;
    di.counterDataSize = data.size();
    di.pCounterData = data.data();
    if (!c.ok(c.rp_data_init(&di), "cuptiRangeProfilerCounterDataImageInitialize", e))
        return -1;

    auto sc = params<CUpti_RangeProfiler_SetConfig_Params>(CUpti_RangeProfiler_SetConfig_Params_STRUCT_SIZE);
    sc.pRangeProfilerObject = en.obj;
    sc.configSize = config.size();
    sc.pConfig = config.data();
    sc.counterDataImageSize = data.size();
    sc.pCounterDataImage = data.data();
    sc.range = CUPTI_UserRange;
    sc.replayMode = CUPTI_UserReplay;
    sc.maxRangesPerPass = kRanges;
    sc.numNestingLevels = 1;
    sc.minNestingLevel = 1;
    sc.passIndex = 0;
    sc.targetNestingLevel = 1;
    if (!c.ok(c.rp_set_config(&sc), "cuptiRangeProfilerSetConfig", e))
        return -1;

    bool all_in = false;
    size_t ran = 0;
    while (!all_in) {
        if (ran == kMaxPasses)
            return e.set("the range profiler still wanted passes after %zu (the set needs %zu)", ran, out.passes);
        if (one_pass(c, en.obj, work, &all_in, e))
            return -1;
        ran++;
    }
    out.passes = ran;

    auto dd = params<CUpti_RangeProfiler_DecodeData_Params>(CUpti_RangeProfiler_DecodeData_Params_STRUCT_SIZE);
    dd.pRangeProfilerObject = en.obj;
    if (!c.ok(c.rp_decode(&dd), "cuptiRangeProfilerDecodeData", e))
        return -1;
    out.dropped = dd.numOfRangeDropped;
    auto ci = params<CUpti_RangeProfiler_GetCounterDataInfo_Params>(CUpti_RangeProfiler_GetCounterDataInfo_Params_STRUCT_SIZE);
    ci.pCounterDataImage = data.data();
    ci.counterDataImageSize = data.size();
    if (!c.ok(c.rp_data_info(&ci), "cuptiRangeProfilerGetCounterDataInfo", e))
        return -1;
    out.ranges = ci.numTotalRanges;
    if (out.ranges == 0)
        return e.set("the range profiler recorded no range (%zu dropped)", out.dropped);
    if (evaluate(h, data, 0, names, out.values, e))
        return -1;
    out.units.clear();
    for (const std::string &n : names)
        out.units.push_back(unit_of(h, n));
    return 0;
}

} // namespace aibcupti
