// The transfer job: cudaMemcpyAsync host-to-device and device-to-host
// (pageable malloc memory or pinned cudaMallocHost memory) and
// device-to-device, so PCIe, NVLink-C2C and HBM copy rates show.
#include <cstring>
#include <memory>

#include "jobs.cuh"

namespace aibcuda {
namespace {

// Never zero: a destination still holding its initial zeros fails.
__host__ __device__ inline unsigned char pattern(size_t i) { return static_cast<unsigned char>(1 + (i * 131) % 251); }

__global__ void k_pattern(unsigned char *p, size_t n)
{
    for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
        p[i] = pattern(i);
}

const char *dir_name(int d) { return d == AIB_XFER_H2D ? "h2d" : d == AIB_XFER_D2H ? "d2h" : "d2d"; }

struct XferJob : aib_cuda_job {
    aib_cuda_transfer_args a{};
    size_t bytes = 0;
    DevBuf src, dst;   // device buffers (src unused for h2d, dst unused for d2h)
    PinnedBuf pinned;
    std::unique_ptr<unsigned char[]> pageable;
    unsigned char *host = nullptr; // whichever host buffer is used

    int enqueue(uint64_t iters, const Err &e) override
    {
        for (uint64_t it = 0; it < iters; it++) {
            cudaError_t ce = a.direction == AIB_XFER_H2D ? cudaMemcpyAsync(dst.p, host, bytes, cudaMemcpyHostToDevice, stream)
                             : a.direction == AIB_XFER_D2H ? cudaMemcpyAsync(host, src.p, bytes, cudaMemcpyDeviceToHost, stream)
                                                           : cudaMemcpyAsync(dst.p, src.p, bytes, cudaMemcpyDeviceToDevice, stream);
            if (!ok(ce, "cudaMemcpyAsync", e))
                return -1;
        }
        return 0;
    }

    int verify(const Err &e) override
    {
        Rng r(0xBF58476D1CE4E5B9ULL);
        for (int t = 0; t < 1024; t++) {
            const size_t i = t == 0 ? 0 : t == 1 ? bytes - 1 : r.below(bytes);
            unsigned char v = 0;
            if (a.direction == AIB_XFER_D2H)
                v = host[i];
            else if (!ok(cudaMemcpy(&v, static_cast<const unsigned char *>(dst.p) + i, 1, cudaMemcpyDeviceToHost), "cudaMemcpy(byte)", e))
                return -1;
            if (v != pattern(i))
                return e.set("wrong answer: %s byte %zu is %u, expected %u", dir_name(a.direction), i, v, pattern(i));
        }
        return 0;
    }

    void describe(char *buf, size_t len) const override
    {
        std::snprintf(buf, len, "cudaMemcpyAsync %s, %s", dir_name(a.direction),
                      a.direction == AIB_XFER_D2D ? "device memory" : a.pinned ? "pinned host memory (cudaMallocHost)" : "pageable host memory (malloc)");
    }
};

} // namespace

int make_transfer(int device, const aib_cuda_transfer_args &a, std::unique_ptr<aib_cuda_job> &out, const Err &e)
{
    if (a.direction < AIB_XFER_H2D || a.direction > AIB_XFER_D2D)
        return e.set("unknown transfer direction %d", a.direction);
    if (a.bytes < 1)
        return e.set("transfer size must be positive");
    std::unique_ptr<XferJob> j(new XferJob);
    j->a = a;
    j->bytes = static_cast<size_t>(a.bytes);
    if (j->open(device, e) != 0)
        return -1;
    const size_t n = j->bytes;
    if (a.direction != AIB_XFER_D2D) {
        if (a.pinned) {
            if (!ok(cudaMallocHost(&j->pinned.p, n), "cudaMallocHost", e))
                return -1;
            j->host = static_cast<unsigned char *>(j->pinned.p);
        } else {
            j->pageable.reset(new unsigned char[n]);
            j->host = j->pageable.get();
        }
        // Written now, so pageable pages are resident before timing.
        if (a.direction == AIB_XFER_H2D)
            for (size_t i = 0; i < n; i++)
                j->host[i] = pattern(i);
        else
            std::memset(j->host, 0, n);
    }
    if (a.direction != AIB_XFER_D2H && (!j->dst.alloc(n, "cudaMalloc(destination)", e) || !ok(cudaMemset(j->dst.p, 0, n), "cudaMemset", e)))
        return -1;
    if (a.direction != AIB_XFER_H2D) {
        if (!j->src.alloc(n, "cudaMalloc(source)", e))
            return -1;
        k_pattern<<<1024, 256, 0, j->stream>>>(static_cast<unsigned char *>(j->src.p), n);
        if (!ok(cudaGetLastError(), "pattern kernel launch", e) || !ok(cudaStreamSynchronize(j->stream), "pattern kernel", e))
            return -1;
    }
    out = std::move(j);
    return 0;
}

} // namespace aibcuda
