// Shared by the plugin's .cu files: the job base class, error text,
// deterministic inputs, element conversions and the verification tolerance.
// Jobs are C++ objects with RAII members, so every early return frees.
#ifndef AIB_CUDA_COMMON_CUH
#define AIB_CUDA_COMMON_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "aib_cuda_plugin.h"

namespace aibcuda {

// The caller's error buffer. Every failing call writes one line and
// returns -1, so `return e.set(...)` reads naturally.
struct Err {
    char *buf;
    size_t len;
    __attribute__((format(printf, 2, 3))) int set(const char *fmt, ...) const
    {
        if (buf && len) {
            va_list ap;
            va_start(ap, fmt);
            std::vsnprintf(buf, len, fmt, ap);
            va_end(ap);
        }
        return -1;
    }
    // A failed CUDA runtime call: names the call and the error, and clears
    // the (non-sticky) error state so later calls do not report it again.
    int cuda(const char *what, cudaError_t code) const
    {
        (void)cudaGetLastError();
        return set("%s: %s (%s, code %d)", what, cudaGetErrorString(code), cudaGetErrorName(code),
                   static_cast<int>(code));
    }
};

// true when the call succeeded; otherwise the message is in e.
inline bool ok(cudaError_t code, const char *what, const Err &e)
{
    if (code == cudaSuccess)
        return true;
    e.cuda(what, code);
    return false;
}

// Device memory owned by one object.
struct DevBuf {
    void *p = nullptr;
    size_t bytes = 0;
    DevBuf() = default;
    DevBuf(const DevBuf &) = delete;
    DevBuf &operator=(const DevBuf &) = delete;
    ~DevBuf()
    {
        if (p)
            cudaFree(p);
    }
    bool alloc(size_t n, const char *what, const Err &e)
    {
        bytes = n;
        return ok(cudaMalloc(&p, n ? n : 1), what, e);
    }
};

// Pinned host memory owned by one object.
struct PinnedBuf {
    void *p = nullptr;
    PinnedBuf() = default;
    PinnedBuf(const PinnedBuf &) = delete;
    PinnedBuf &operator=(const PinnedBuf &) = delete;
    ~PinnedBuf()
    {
        if (p)
            cudaFreeHost(p);
    }
};

} // namespace aibcuda

// The opaque job of the C interface. Subclasses own their buffers and
// library handles; the base owns the stream and the two timing events.
struct aib_cuda_job {
    int device = 0;
    cudaStream_t stream = nullptr;
    cudaEvent_t ev_start = nullptr, ev_stop = nullptr;

    aib_cuda_job() = default;
    aib_cuda_job(const aib_cuda_job &) = delete;
    aib_cuda_job &operator=(const aib_cuda_job &) = delete;
    virtual ~aib_cuda_job();
    // Selects the device and creates the stream and events.
    int open(int dev, const aibcuda::Err &e);
    // Enqueues iters iterations on `stream` (no waiting, no timing).
    virtual int enqueue(uint64_t iters, const aibcuda::Err &e) = 0;
    virtual int verify(const aibcuda::Err &e) = 0;
    virtual void describe(char *buf, size_t len) const = 0;
};

namespace aibcuda {

// xorshift64*: the same deterministic inputs on every run.
struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed) {}
    uint64_t next()
    {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 0x2545F4914F6CDD1DULL;
    }
    // Uniform in [-1, 1).
    double uniform() { return static_cast<double>(next() >> 11) / 9007199254740992.0 * 2.0 - 1.0; }
    uint64_t below(uint64_t n) { return n ? (next() >> 11) % n : 0; }
};

// Size in bytes of one input element and one output element.
size_t in_size(int prec);
size_t out_size(int prec);
const char *prec_name(int prec);
// Stores v (already representable or to be rounded) as precision `prec`
// input element i of base; reads input / output element i as double.
void put_in(void *base, int prec, size_t i, double v);
double get_in(const void *base, int prec, size_t i);
double get_out(const void *base, int prec, size_t i);
// Fills n input elements with deterministic values: uniform in [-1, 1)
// rounded to the type, or integers in [-64, 63] for int8.
void fill_inputs(void *base, int prec, size_t n, uint64_t seed);

// Rounding units for the tolerance of a dot product of length k:
//   allowed = 2 u_out |ref| + 8 (u_in l2 + u_stat s2) + u_lin s1
// where l2 = sqrt(sum t^2) over the products t, s1 = sum |S_i| and
// s2 = sqrt(sum S_i^2) over the partial sums S_i. u_lin bounds worst-case
// (even truncating) accumulation; u_in and u_stat are statistical terms for
// rounding inside the tensor cores (tf32 inputs, fp8 accumulation).
struct Tol {
    double u_in, u_stat, u_lin, u_out;
};
Tol tolerance(int prec);

// Accumulates one reference dot product and its error bound.
struct RefDot {
    double sum = 0, l2 = 0, s1 = 0, s2 = 0;
    void add(double t)
    {
        sum += t;
        l2 += t * t;
        s1 += sum < 0 ? -sum : sum;
        s2 += sum * sum;
    }
    double allowed(const Tol &t) const;
};

} // namespace aibcuda

#endif
