// The membw job: STREAM kernels (read, copy, scale, add, triad) over fp32
// arrays in device memory, 16-byte accesses, grid-stride loops.
#include <cmath>
#include <vector>

#include "jobs.cuh"

namespace aibcuda {
namespace {

constexpr float kQ = 3.0f; // STREAM's scalar

// Small integers: every sum below is exact in fp32, so checks are exact.
__host__ __device__ inline float init_a(size_t i) { return 1.0f + static_cast<float>(i % 7); }
__host__ __device__ inline float init_b(size_t i) { return 2.0f + static_cast<float>(i % 5); }
__host__ __device__ inline float init_c(size_t i) { return 3.0f + static_cast<float>(i % 3); }

__global__ void k_init(float *a, float *b, float *c, size_t n)
{
    for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x) {
        a[i] = init_a(i);
        b[i] = init_b(i);
        c[i] = init_c(i);
    }
}

// Sum of a: per-thread fp32 (exact for these values), per-block fp64.
__global__ void __launch_bounds__(256) k_read(const float4 *__restrict__ a, size_t n4, double *__restrict__ partial)
{
    float s = 0.0f;
    for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += static_cast<size_t>(gridDim.x) * blockDim.x) {
        const float4 v = a[i];
        s += (v.x + v.y) + (v.z + v.w);
    }
    double d = s;
    for (int off = 16; off > 0; off >>= 1)
        d += __shfl_down_sync(0xffffffffu, d, off);
    __shared__ double warp_sum[8];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0)
        warp_sum[warp] = d;
    __syncthreads();
    if (warp == 0) {
        d = lane < 8 ? warp_sum[lane] : 0.0;
        for (int off = 4; off > 0; off >>= 1)
            d += __shfl_down_sync(0xffffffffu, d, off);
        if (lane == 0)
            partial[blockIdx.x] = d;
    }
}

__global__ void k_copy(const float4 *__restrict__ a, float4 *__restrict__ c, size_t n4)
{
    for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += static_cast<size_t>(gridDim.x) * blockDim.x)
        c[i] = a[i];
}

__global__ void k_scale(float4 *__restrict__ b, const float4 *__restrict__ c, size_t n4)
{
    for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += static_cast<size_t>(gridDim.x) * blockDim.x) {
        const float4 v = c[i];
        b[i] = make_float4(kQ * v.x, kQ * v.y, kQ * v.z, kQ * v.w);
    }
}

__global__ void k_add(const float4 *__restrict__ a, const float4 *__restrict__ b, float4 *__restrict__ c, size_t n4)
{
    for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += static_cast<size_t>(gridDim.x) * blockDim.x) {
        const float4 x = a[i], y = b[i];
        c[i] = make_float4(x.x + y.x, x.y + y.y, x.z + y.z, x.w + y.w);
    }
}

__global__ void k_triad(float4 *__restrict__ a, const float4 *__restrict__ b, const float4 *__restrict__ c, size_t n4)
{
    for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += static_cast<size_t>(gridDim.x) * blockDim.x) {
        const float4 y = b[i], z = c[i];
        a[i] = make_float4(y.x + kQ * z.x, y.y + kQ * z.y, y.z + kQ * z.z, y.w + kQ * z.w);
    }
}

const char *op_name(int op)
{
    static const char *const names[] = {"read", "copy", "scale", "add", "triad"};
    return op >= 0 && op <= AIB_MEMBW_TRIAD ? names[op] : "unknown";
}

struct MembwJob : aib_cuda_job {
    aib_cuda_membw_args a{};
    size_t n = 0;
    unsigned blocks = 0;
    DevBuf da, db, dc, partial;
    int enqueue(uint64_t iters, const Err &e) override;
    int verify(const Err &e) override;
    void describe(char *buf, size_t len) const override
    {
        std::snprintf(buf, len, "%s: %u blocks x 256 threads, float4 accesses, grid-stride", op_name(a.op), blocks);
    }
};

int MembwJob::enqueue(uint64_t iters, const Err &e)
{
    const size_t n4 = n / 4;
    float4 *a4 = static_cast<float4 *>(da.p), *b4 = static_cast<float4 *>(db.p), *c4 = static_cast<float4 *>(dc.p);
    for (uint64_t it = 0; it < iters; it++) {
        switch (a.op) {
        case AIB_MEMBW_READ: k_read<<<blocks, 256, 0, stream>>>(a4, n4, static_cast<double *>(partial.p)); break;
        case AIB_MEMBW_COPY: k_copy<<<blocks, 256, 0, stream>>>(a4, c4, n4); break;
        case AIB_MEMBW_SCALE: k_scale<<<blocks, 256, 0, stream>>>(b4, c4, n4); break;
        case AIB_MEMBW_ADD: k_add<<<blocks, 256, 0, stream>>>(a4, b4, c4, n4); break;
        default: k_triad<<<blocks, 256, 0, stream>>>(a4, b4, c4, n4); break;
        }
        if (!ok(cudaGetLastError(), "membw kernel launch", e))
            return -1;
    }
    return 0;
}

int MembwJob::verify(const Err &e)
{
    if (a.op == AIB_MEMBW_READ) {
        std::vector<double> part(blocks);
        if (!ok(cudaMemcpy(part.data(), partial.p, blocks * sizeof(double), cudaMemcpyDeviceToHost), "cudaMemcpy(partial sums)", e))
            return -1;
        double got = 0, want = 0;
        for (double p : part)
            got += p;
        // Sum of 1 + i % 7 over i < n: whole cycles of 28, then the rest.
        const size_t cycles = n / 7, rest = n % 7;
        want = 28.0 * static_cast<double>(cycles) + static_cast<double>(rest * (rest + 1) / 2);
        if (!(got == want))
            return e.set("wrong answer: read sum %.17g, expected %.17g", got, want);
        return 0;
    }
    const void *dst = a.op == AIB_MEMBW_SCALE ? db.p : a.op == AIB_MEMBW_TRIAD ? da.p : dc.p;
    Rng r(0x94D049BB133111EBULL);
    for (int t = 0; t < 1024; t++) {
        const size_t i = t == 0 ? 0 : t == 1 ? n - 1 : r.below(n);
        float v = 0;
        if (!ok(cudaMemcpy(&v, static_cast<const float *>(dst) + i, sizeof v, cudaMemcpyDeviceToHost), "cudaMemcpy(element)", e))
            return -1;
        const float want = a.op == AIB_MEMBW_COPY    ? init_a(i)
                           : a.op == AIB_MEMBW_SCALE ? kQ * init_c(i)
                           : a.op == AIB_MEMBW_ADD   ? init_a(i) + init_b(i)
                                                     : init_b(i) + kQ * init_c(i);
        if (!(v == want))
            return e.set("wrong answer: %s element %zu = %.9g, expected %.9g", op_name(a.op), i, static_cast<double>(v),
                         static_cast<double>(want));
    }
    return 0;
}

} // namespace

int make_membw(int device, const aib_cuda_membw_args &a, std::unique_ptr<aib_cuda_job> &out, const Err &e)
{
    if (a.op < AIB_MEMBW_READ || a.op > AIB_MEMBW_TRIAD)
        return e.set("unknown membw op %d", a.op);
    if (a.bytes < 16 || a.bytes % 16)
        return e.set("membw size %lld is not a positive multiple of 16 bytes", static_cast<long long>(a.bytes));
    std::unique_ptr<MembwJob> j(new MembwJob);
    j->a = a;
    j->n = static_cast<size_t>(a.bytes) / sizeof(float);
    int sms = 0;
    if (j->open(device, e) != 0 ||
        !ok(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute(SMs)", e))
        return -1;
    // Enough 256-thread blocks to fill every SM several times over.
    const size_t want = (j->n / 4 + 255) / 256, cap = static_cast<size_t>(sms > 0 ? sms : 1) * 32;
    j->blocks = static_cast<unsigned>(want < cap ? want : cap);
    const size_t bytes = static_cast<size_t>(a.bytes);
    if (!j->da.alloc(bytes, "cudaMalloc(a)", e) || !j->db.alloc(bytes, "cudaMalloc(b)", e) ||
        !j->dc.alloc(bytes, "cudaMalloc(c)", e) || !j->partial.alloc(j->blocks * sizeof(double), "cudaMalloc(partial)", e))
        return -1;
    k_init<<<j->blocks, 256, 0, j->stream>>>(static_cast<float *>(j->da.p), static_cast<float *>(j->db.p),
                                            static_cast<float *>(j->dc.p), j->n);
    if (!ok(cudaGetLastError(), "membw init kernel launch", e) ||
        !ok(cudaStreamSynchronize(j->stream), "membw init kernel", e))
        return -1;
    out = std::move(j);
    return 0;
}

} // namespace aibcuda
