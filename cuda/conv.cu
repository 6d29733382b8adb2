// The conv job: forward convolution (NCHW input, KCRS filters, groups)
// through cuDNN (fastest algorithm found by cudnnFind, like PyTorch with
// cudnn.benchmark) or aibench's direct kernel, verified on sampled outputs.
#include <cmath>
#include <cstring>
#include <vector>

#include "jobs.cuh"
#include "libs.cuh"

namespace aibcuda {
namespace {

constexpr size_t kMaxWorkspace = 1ull << 30; // algorithms needing more are skipped

struct ConvDims {
    int n, c, h, w, k, r, s, stride, pad, dil, groups, p, q;
};

template <typename T> __device__ __forceinline__ float to_f(T v);
template <> __device__ __forceinline__ float to_f<float>(float v) { return v; }
template <> __device__ __forceinline__ float to_f<__half>(__half v) { return __half2float(v); }
template <> __device__ __forceinline__ float to_f<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T> __device__ __forceinline__ T from_f(float v);
template <> __device__ __forceinline__ float from_f<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_f<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// One output element per thread, fp32 accumulation; neighbouring threads
// take neighbouring output columns, so input reads coalesce.
template <typename T>
__global__ void conv_direct(const T *__restrict__ x, const T *__restrict__ w, T *__restrict__ y, ConvDims d)
{
    const size_t idx = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const size_t total = static_cast<size_t>(d.n) * d.k * d.p * d.q;
    if (idx >= total)
        return;
    const int q = static_cast<int>(idx % d.q);
    size_t t = idx / d.q;
    const int p = static_cast<int>(t % d.p);
    t /= d.p;
    const int k = static_cast<int>(t % d.k);
    const int n = static_cast<int>(t / d.k);
    const int cg = d.c / d.groups, g = k / (d.k / d.groups);
    float acc = 0.0f;
    for (int c = 0; c < cg; c++) {
        const T *xc = x + (static_cast<size_t>(n) * d.c + g * cg + c) * d.h * d.w;
        const T *wc = w + (static_cast<size_t>(k) * cg + c) * d.r * d.s;
        for (int r = 0; r < d.r; r++) {
            const int ih = p * d.stride - d.pad + r * d.dil;
            if (ih < 0 || ih >= d.h)
                continue;
            for (int s = 0; s < d.s; s++) {
                const int iw = q * d.stride - d.pad + s * d.dil;
                if (iw >= 0 && iw < d.w)
                    acc += to_f(xc[ih * d.w + iw]) * to_f(wc[r * d.s + s]);
            }
        }
    }
    y[idx] = from_f<T>(acc);
}

template <typename T> cudaError_t launch_direct(const void *x, const void *w, void *y, const ConvDims &d, cudaStream_t s)
{
    const size_t total = static_cast<size_t>(d.n) * d.k * d.p * d.q;
    const unsigned blocks = static_cast<unsigned>((total + 255) / 256);
    conv_direct<T><<<blocks, 256, 0, s>>>(static_cast<const T *>(x), static_cast<const T *>(w), static_cast<T *>(y), d);
    return cudaGetLastError();
}

cudnnDataType_t dnn_type(int p)
{
    return p == AIB_CUDA_FP16 ? CUDNN_DATA_HALF : p == AIB_CUDA_BF16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
}

const char *algo_name(cudnnConvolutionFwdAlgo_t a)
{
    switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
    default: return "unknown";
    }
}

struct ConvJob : aib_cuda_job {
    aib_cuda_conv_args a{};
    ConvDims d{};
    std::vector<unsigned char> hx, hw;
    DevBuf dx, dw, dy, ws;
    Cudnn dnn;
    cudnnHandle_t handle = nullptr;
    cudnnTensorDescriptor_t xd = nullptr, yd = nullptr;
    cudnnFilterDescriptor_t wd = nullptr;
    cudnnConvolutionDescriptor_t cd = nullptr;
    cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
    float alpha = 1, beta = 0;
    char how[200] = "";

    ~ConvJob() override
    {
        if (xd)
            dnn.tensor_destroy(xd);
        if (yd)
            dnn.tensor_destroy(yd);
        if (wd)
            dnn.filter_destroy(wd);
        if (cd)
            dnn.conv_destroy(cd);
        if (handle)
            dnn.destroy(handle);
    }
    int setup_cudnn(const Err &e);
    int enqueue(uint64_t iters, const Err &e) override;
    int verify(const Err &e) override;
    void describe(char *buf, size_t len) const override { std::snprintf(buf, len, "%s", how); }
};

int ConvJob::setup_cudnn(const Err &e)
{
    const cudnnDataType_t t = dnn_type(a.precision);
    int on = 0, oc = 0, oh = 0, ow = 0;
    if (dnn.load(e) != 0 || !dnn.ok(dnn.create(&handle), "cudnnCreate", e) ||
        !dnn.ok(dnn.set_stream(handle, stream), "cudnnSetStream", e) ||
        !dnn.ok(dnn.tensor_create(&xd), "cudnnCreateTensorDescriptor", e) ||
        !dnn.ok(dnn.tensor_create(&yd), "cudnnCreateTensorDescriptor", e) ||
        !dnn.ok(dnn.filter_create(&wd), "cudnnCreateFilterDescriptor", e) ||
        !dnn.ok(dnn.conv_create(&cd), "cudnnCreateConvolutionDescriptor", e) ||
        !dnn.ok(dnn.tensor_set(xd, CUDNN_TENSOR_NCHW, t, d.n, d.c, d.h, d.w), "cudnnSetTensor4dDescriptor(x)", e) ||
        !dnn.ok(dnn.filter_set(wd, t, CUDNN_TENSOR_NCHW, d.k, d.c / d.groups, d.r, d.s), "cudnnSetFilter4dDescriptor", e) ||
        !dnn.ok(dnn.conv_set(cd, d.pad, d.pad, d.stride, d.stride, d.dil, d.dil, CUDNN_CROSS_CORRELATION,
                             CUDNN_DATA_FLOAT),
                "cudnnSetConvolution2dDescriptor", e) ||
        !dnn.ok(dnn.conv_groups(cd, d.groups), "cudnnSetConvolutionGroupCount", e) ||
        // fp32 stays fp32 (no TF32); fp16/bf16 use the tensor cores.
        !dnn.ok(dnn.conv_math(cd, a.precision == AIB_CUDA_FP32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH),
                "cudnnSetConvolutionMathType", e) ||
        !dnn.ok(dnn.out_dim(cd, xd, wd, &on, &oc, &oh, &ow), "cudnnGetConvolution2dForwardOutputDim", e))
        return -1;
    if (on != d.n || oc != d.k || oh != d.p || ow != d.q)
        return e.set("cuDNN output %dx%dx%dx%d differs from the expected %dx%dx%dx%d", on, oc, oh, ow, d.n, d.k, d.p, d.q);
    if (!dnn.ok(dnn.tensor_set(yd, CUDNN_TENSOR_NCHW, t, d.n, d.k, d.p, d.q), "cudnnSetTensor4dDescriptor(y)", e))
        return -1;
    int max = 0, got = 0;
    if (!dnn.ok(dnn.algo_count(handle, &max), "cudnnGetConvolutionForwardAlgorithmMaxCount", e))
        return -1;
    std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(static_cast<size_t>(max > 0 ? max : 1));
    if (!dnn.ok(dnn.find_algo(handle, xd, wd, cd, yd, max, &got, perf.data()), "cudnnFindConvolutionForwardAlgorithm", e))
        return -1;
    int pick = -1;
    for (int i = 0; i < got && pick < 0; i++)
        if (perf[static_cast<size_t>(i)].status == CUDNN_STATUS_SUCCESS && perf[static_cast<size_t>(i)].memory <= kMaxWorkspace)
            pick = i;
    if (pick < 0)
        return e.set("cuDNN found no forward algorithm for this layer in %s (workspace <= 1 GiB)", prec_name(a.precision));
    algo = perf[static_cast<size_t>(pick)].algo;
    size_t wsb = 0;
    if (!dnn.ok(dnn.workspace_size(handle, xd, wd, cd, yd, algo, &wsb), "cudnnGetConvolutionForwardWorkspaceSize", e) ||
        !ws.alloc(wsb, "cudaMalloc(cuDNN workspace)", e))
        return -1;
    const size_t v = dnn.version();
    std::snprintf(how, sizeof how, "cuDNN %zu.%zu.%zu %s, algorithm %s (fastest of %d found), workspace %zu KiB",
                  v / 10000, (v % 10000) / 100, v % 100, prec_name(a.precision), algo_name(algo), got, wsb / 1024);
    return 0;
}

int ConvJob::enqueue(uint64_t iters, const Err &e)
{
    for (uint64_t it = 0; it < iters; it++) {
        if (a.impl == AIB_CUDA_CONV_CUDNN) {
            if (!dnn.ok(dnn.forward(handle, &alpha, xd, dx.p, wd, dw.p, cd, algo, ws.p, ws.bytes, &beta, yd, dy.p),
                        "cudnnConvolutionForward", e))
                return -1;
            continue;
        }
        cudaError_t ce = a.precision == AIB_CUDA_FP16   ? launch_direct<__half>(dx.p, dw.p, dy.p, d, stream)
                         : a.precision == AIB_CUDA_BF16 ? launch_direct<__nv_bfloat16>(dx.p, dw.p, dy.p, d, stream)
                                                        : launch_direct<float>(dx.p, dw.p, dy.p, d, stream);
        if (!ok(ce, "native conv kernel launch", e))
            return -1;
    }
    return 0;
}

int ConvJob::verify(const Err &e)
{
    const size_t total = static_cast<size_t>(d.n) * d.k * d.p * d.q, os = out_size(a.precision);
    const bool all = total <= 65536;
    const size_t count = all ? total : 256;
    std::vector<unsigned char> got(all ? total * os : os);
    if (all && !ok(cudaMemcpy(got.data(), dy.p, total * os, cudaMemcpyDeviceToHost), "cudaMemcpy(y)", e))
        return -1;
    Tol tol = tolerance(a.precision);
    // Winograd and FFT round in a transformed space: allow for it.
    if (a.impl == AIB_CUDA_CONV_CUDNN && tol.u_in < std::ldexp(1.0, -11))
        tol.u_in = std::ldexp(1.0, -11);
    const int cg = d.c / d.groups;
    Rng rng(0xA0761D6478BD642FULL);
    for (size_t t = 0; t < count; t++) {
        const size_t idx = all ? t : t == 0 ? 0 : t == 1 ? total - 1 : rng.below(total);
        if (!all && !ok(cudaMemcpy(got.data(), static_cast<const unsigned char *>(dy.p) + idx * os, os,
                                   cudaMemcpyDeviceToHost),
                        "cudaMemcpy(y element)", e))
            return -1;
        const int q = static_cast<int>(idx % d.q), p = static_cast<int>(idx / d.q % d.p);
        const int k = static_cast<int>(idx / d.q / d.p % d.k), n = static_cast<int>(idx / d.q / d.p / d.k);
        const int g = k / (d.k / d.groups);
        RefDot ref;
        for (int c = 0; c < cg; c++)
            for (int r = 0; r < d.r; r++)
                for (int s = 0; s < d.s; s++) {
                    const int ih = p * d.stride - d.pad + r * d.dil, iw = q * d.stride - d.pad + s * d.dil;
                    if (ih < 0 || ih >= d.h || iw < 0 || iw >= d.w)
                        continue;
                    const size_t xi = ((static_cast<size_t>(n) * d.c + g * cg + c) * d.h + ih) * d.w + iw;
                    const size_t wi = ((static_cast<size_t>(k) * cg + c) * d.r + r) * d.s + s;
                    ref.add(get_in(hx.data(), a.precision, xi) * get_in(hw.data(), a.precision, wi));
                }
        const double v = get_out(got.data(), a.precision, all ? t : 0), allowed = ref.allowed(tol);
        if (!(std::fabs(v - ref.sum) <= allowed))
            return e.set("wrong answer: y[n=%d,k=%d,p=%d,q=%d] = %.9g, reference %.9g (|error| %.3g > tolerance %.3g for %s)",
                         n, k, p, q, v, ref.sum, std::fabs(v - ref.sum), allowed, prec_name(a.precision));
    }
    return 0;
}

} // namespace

int make_conv(int device, const aib_cuda_conv_args &a, std::unique_ptr<aib_cuda_job> &out, const Err &e)
{
    if (a.precision != AIB_CUDA_FP32 && a.precision != AIB_CUDA_FP16 && a.precision != AIB_CUDA_BF16)
        return e.set("conv has no %s path (fp32, fp16, bf16)", prec_name(a.precision));
    if (a.n < 1 || a.c < 1 || a.h < 1 || a.w < 1 || a.k < 1 || a.r < 1 || a.s < 1 || a.stride < 1 || a.pad < 0 ||
        a.dilation < 1 || a.groups < 1 || a.c % a.groups || a.k % a.groups)
        return e.set("bad conv shape (channels and filters must divide into groups)");
    std::unique_ptr<ConvJob> j(new ConvJob);
    j->a = a;
    ConvDims &d = j->d;
    d = {a.n, a.c, a.h, a.w, a.k, a.r, a.s, a.stride, a.pad, a.dilation, a.groups, 0, 0};
    d.p = (d.h + 2 * d.pad - d.dil * (d.r - 1) - 1) / d.stride + 1;
    d.q = (d.w + 2 * d.pad - d.dil * (d.s - 1) - 1) / d.stride + 1;
    if (d.p < 1 || d.q < 1)
        return e.set("conv output would be empty (%dx%d)", d.p, d.q);
    if (j->open(device, e) != 0)
        return -1;
    const size_t es = in_size(a.precision), os = out_size(a.precision);
    const size_t nx = static_cast<size_t>(d.n) * d.c * d.h * d.w;
    const size_t nw = static_cast<size_t>(d.k) * (d.c / d.groups) * d.r * d.s;
    const size_t ny = static_cast<size_t>(d.n) * d.k * d.p * d.q;
    j->hx.resize(nx * es);
    j->hw.resize(nw * es);
    fill_inputs(j->hx.data(), a.precision, nx, 0x243F6A8885A308D3ULL);
    fill_inputs(j->hw.data(), a.precision, nw, 0x13198A2E03707344ULL);
    if (!j->dx.alloc(nx * es, "cudaMalloc(x)", e) || !j->dw.alloc(nw * es, "cudaMalloc(w)", e) ||
        !j->dy.alloc(ny * os, "cudaMalloc(y)", e) ||
        !ok(cudaMemcpy(j->dx.p, j->hx.data(), nx * es, cudaMemcpyHostToDevice), "cudaMemcpy(x)", e) ||
        !ok(cudaMemcpy(j->dw.p, j->hw.data(), nw * es, cudaMemcpyHostToDevice), "cudaMemcpy(w)", e) ||
        !ok(cudaMemset(j->dy.p, 0xff, ny * os), "cudaMemset(y)", e))
        return -1;
    if (a.impl == AIB_CUDA_CONV_CUDNN) {
        if (j->setup_cudnn(e) != 0)
            return -1;
    } else {
        std::snprintf(j->how, sizeof j->how, "native direct convolution kernel %s, one output per thread, fp32 accumulation",
                      prec_name(a.precision));
    }
    out = std::move(j);
    return 0;
}

} // namespace aibcuda
