// The Activity API's kernel records (CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL,
// which keeps kernels concurrent) around replayed work: which kernels one
// timed sample's worth of iterations launches, how often and how long they
// run, so a library call that launches several kernels is visible.
#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>

#include "cupti.cuh"

namespace aibcupti {

namespace {

constexpr size_t kBufferBytes = 4u << 20;

// CUPTI's buffer callbacks carry no user pointer, so the completed buffers
// go to this one process-wide queue; the trace that enabled the records
// drains it. Traces are serialised by `trace_mu` (CUPTI's activity state is
// process-wide too).
struct Completed {
    uint8_t *buf;
    size_t valid;
};
struct Queue {
    std::mutex mu;
    std::vector<Completed> done;
    uint64_t dropped = 0;
    uint64_t refused = 0; // buffers we could not allocate
    decltype(&cuptiActivityGetNumDroppedRecords) dropped_fn = nullptr;
};
Queue &queue()
{
    static Queue q;
    return q;
}
std::mutex &trace_mu()
{
    static std::mutex m;
    return m;
}

void CUPTIAPI on_request(uint8_t **buffer, size_t *size, size_t *max_records)
{
    // CUPTI wants 8-byte alignment.
    *buffer = static_cast<uint8_t *>(std::aligned_alloc(8, kBufferBytes));
    *size = *buffer ? kBufferBytes : 0;
    *max_records = 0;
    if (!*buffer) {
        std::lock_guard<std::mutex> lock(queue().mu);
        queue().refused++;
    }
}

void CUPTIAPI on_complete(CUcontext ctx, uint32_t stream, uint8_t *buffer, size_t size, size_t valid)
{
    (void)size;
    Queue &q = queue();
    std::lock_guard<std::mutex> lock(q.mu);
    size_t dropped = 0;
    if (q.dropped_fn && q.dropped_fn(ctx, stream, &dropped) == CUPTI_SUCCESS)
        q.dropped += dropped;
    try {
        q.done.push_back({buffer, valid});
    } catch (...) {
        std::free(buffer);
        q.refused++;
    }
}

std::string demangle(const char *name)
{
    if (!name)
        return "(unnamed kernel)";
    int status = 0;
    std::unique_ptr<char, void (*)(void *)> d(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
    return status == 0 && d ? std::string(d.get()) : std::string(name);
}

// Reads every kernel record of the drained buffers into `by`.
void parse(const Cupti &c, std::vector<Completed> &bufs, std::map<std::string, KernelStat> &by, uint64_t *n)
{
    for (Completed &b : bufs) {
        CUpti_Activity *rec = nullptr;
        // MAX_LIMIT_REACHED: the end of the buffer; INVALID_KIND: an
        // incomplete record, nothing valid after it.
        while (b.valid && c.act_next(b.buf, b.valid, &rec) == CUPTI_SUCCESS) {
            if (rec->kind != CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL && rec->kind != CUPTI_ACTIVITY_KIND_KERNEL)
                continue;
            const auto *k = reinterpret_cast<const CUpti_ActivityKernel10 *>(rec);
            double s = k->end > k->start ? static_cast<double>(k->end - k->start) * 1e-9 : 0.0;
            std::string name = demangle(k->name);
            KernelStat &st = by[name];
            if (st.launches == 0) {
                st.name = name;
                st.min_s = st.max_s = s;
            }
            st.launches++;
            st.total_s += s;
            st.min_s = std::min(st.min_s, s);
            st.max_s = std::max(st.max_s, s);
            (*n)++;
        }
        std::free(b.buf);
        b.buf = nullptr;
    }
}

std::vector<Completed> take_all(uint64_t *dropped, uint64_t *refused)
{
    Queue &q = queue();
    std::lock_guard<std::mutex> lock(q.mu);
    std::vector<Completed> out;
    out.swap(q.done);
    *dropped = q.dropped;
    *refused = q.refused;
    q.dropped = q.refused = 0;
    return out;
}

} // namespace

int kernel_trace(const Cupti &c, const Work &work, std::vector<KernelStat> &out, uint64_t *launches,
                 uint64_t *dropped, const Err &e)
{
    std::lock_guard<std::mutex> serial(trace_mu());
    uint64_t stale_d, stale_r;
    for (Completed &b : take_all(&stale_d, &stale_r)) // left by an earlier failed trace
        std::free(b.buf);
    {
        std::lock_guard<std::mutex> lock(queue().mu);
        queue().dropped_fn = c.act_dropped;
    }
    if (!c.ok(c.act_register(on_request, on_complete), "cuptiActivityRegisterCallbacks", e) ||
        !c.ok(c.act_enable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL), "cuptiActivityEnable(CONCURRENT_KERNEL)", e))
        return -1;
    int rc = work(e);
    // Disable and flush even when the work failed. FLUSH_FORCED: a short
    // trace's buffers are not "full enough" for a plain flush.
    Err quiet{nullptr, 0};
    if (!c.ok(c.act_disable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL), "cuptiActivityDisable", rc ? quiet : e))
        rc = -1;
    if (!c.ok(c.act_flush_all(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED), "cuptiActivityFlushAll", rc ? quiet : e))
        rc = -1;
    uint64_t refused = 0;
    std::vector<Completed> bufs = take_all(dropped, &refused);
    std::map<std::string, KernelStat> by;
    *launches = 0;
    parse(c, bufs, by, launches);
    if (rc)
        return rc;
    if (refused)
        return e.set("out of memory for %llu activity buffers", static_cast<unsigned long long>(refused));
    out.clear();
    for (auto &kv : by)
        out.push_back(kv.second);
    std::sort(out.begin(), out.end(), [](const KernelStat &a, const KernelStat &b) { return a.total_s > b.total_s; });
    if (out.empty())
        return e.set("the activity trace recorded no kernel (%llu records dropped)",
                     static_cast<unsigned long long>(*dropped));
    return 0;
}

} // namespace aibcupti
