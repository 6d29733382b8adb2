// The matmul job: C = A * B through cublasGemmEx, cublasLtMatmul or the
// native kernels, with host copies of the inputs for verification.
#include <cmath>
#include <cstring>
#include <vector>

#include "gemm_kernels.cuh"
#include "jobs.cuh"
#include "libs.cuh"

namespace aibcuda {
namespace {

constexpr size_t kWorkspace = 32u << 20; // what PyTorch gives cuBLAS on Hopper

cudaDataType in_type(int p)
{
    switch (p) {
    case AIB_CUDA_FP64: return CUDA_R_64F;
    case AIB_CUDA_FP32:
    case AIB_CUDA_TF32: return CUDA_R_32F;
    case AIB_CUDA_FP16: return CUDA_R_16F;
    case AIB_CUDA_BF16: return CUDA_R_16BF;
    case AIB_CUDA_INT8: return CUDA_R_8I;
    default: return CUDA_R_8F_E4M3;
    }
}

cudaDataType out_type(int p)
{
    switch (p) {
    case AIB_CUDA_FP64: return CUDA_R_64F;
    case AIB_CUDA_FP32:
    case AIB_CUDA_TF32: return CUDA_R_32F;
    case AIB_CUDA_FP16: return CUDA_R_16F;
    case AIB_CUDA_INT8: return CUDA_R_32I;
    default: return CUDA_R_16BF; // bf16, and fp8's output
    }
}

cublasComputeType_t compute_type(int p)
{
    switch (p) {
    case AIB_CUDA_FP64: return CUBLAS_COMPUTE_64F;
    case AIB_CUDA_TF32: return CUBLAS_COMPUTE_32F_FAST_TF32;
    case AIB_CUDA_INT8: return CUBLAS_COMPUTE_32I;
    default: return CUBLAS_COMPUTE_32F;
    }
}

const char *compute_name(int p)
{
    switch (p) {
    case AIB_CUDA_FP64: return "CUBLAS_COMPUTE_64F";
    case AIB_CUDA_TF32: return "CUBLAS_COMPUTE_32F_FAST_TF32";
    case AIB_CUDA_INT8: return "CUBLAS_COMPUTE_32I";
    default: return "CUBLAS_COMPUTE_32F";
    }
}

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

struct MatmulJob : aib_cuda_job {
    aib_cuda_matmul_args a{};
    bool b_col = false;     // B stored as n x k (int8, fp8)
    int64_t mp = 0, np = 0, kp = 0; // device dims: padded for the native kernels
    std::vector<unsigned char> ha, hb;
    DevBuf da, db, dc, ws;
    // Scaling factors in the compute type (host pointer mode).
    double alpha_d = 1, beta_d = 0;
    float alpha_f = 1, beta_f = 0;
    int32_t alpha_i = 1, beta_i = 0;
    Cublas blas;
    cublasHandle_t handle = nullptr;
    CublasLt lt;
    cublasLtHandle_t lt_handle = nullptr;
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t lay_x = nullptr, lay_y = nullptr, lay_c = nullptr;
    cublasLtMatmulHeuristicResult_t heur{};
    char how[400] = "";

    ~MatmulJob() override
    {
        if (lay_x)
            lt.layout_destroy(lay_x);
        if (lay_y)
            lt.layout_destroy(lay_y);
        if (lay_c)
            lt.layout_destroy(lay_c);
        if (desc)
            lt.desc_destroy(desc);
        if (lt_handle)
            lt.destroy(lt_handle);
        if (handle)
            blas.destroy(handle);
    }

    const void *alpha() const
    {
        return a.precision == AIB_CUDA_FP64 ? static_cast<const void *>(&alpha_d)
               : a.precision == AIB_CUDA_INT8 ? static_cast<const void *>(&alpha_i)
                                              : static_cast<const void *>(&alpha_f);
    }
    const void *beta() const
    {
        return a.precision == AIB_CUDA_FP64 ? static_cast<const void *>(&beta_d)
               : a.precision == AIB_CUDA_INT8 ? static_cast<const void *>(&beta_i)
                                              : static_cast<const void *>(&beta_f);
    }

    int setup_cublas(const Err &e);
    int setup_cublaslt(const Err &e);
    int upload(const Err &e);
    int enqueue(uint64_t iters, const Err &e) override;
    int verify(const Err &e) override;
    void describe(char *buf, size_t len) const override { std::snprintf(buf, len, "%s", how); }
};

int MatmulJob::setup_cublas(const Err &e)
{
    int maj = 0, min = 0, pat = 0;
    if (blas.load(e) != 0 || !blas.ok(blas.create(&handle), "cublasCreate", e) ||
        !blas.ok(blas.set_stream(handle, stream), "cublasSetStream", e) ||
        !blas.ok(blas.set_workspace(handle, ws.p, ws.bytes), "cublasSetWorkspace", e) ||
        !blas.ok(blas.set_math_mode(handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode", e) ||
        !blas.ok(blas.get_property(MAJOR_VERSION, &maj), "cublasGetProperty", e) ||
        !blas.ok(blas.get_property(MINOR_VERSION, &min), "cublasGetProperty", e) ||
        !blas.ok(blas.get_property(PATCH_LEVEL, &pat), "cublasGetProperty", e))
        return -1;
    std::snprintf(how, sizeof how, "cublasGemmEx %s, %s, cuBLAS %d.%d.%d (%s)", prec_name(a.precision),
                  compute_name(a.precision), maj, min, pat, blas.lib.path);
    return 0;
}

int MatmulJob::setup_cublaslt(const Err &e)
{
    const cublasOperation_t op_x = b_col ? CUBLAS_OP_T : CUBLAS_OP_N, op_y = CUBLAS_OP_N;
    const cudaDataType scale = a.precision == AIB_CUDA_FP64   ? CUDA_R_64F
                               : a.precision == AIB_CUDA_INT8 ? CUDA_R_32I
                                                              : CUDA_R_32F;
    const uint64_t m = static_cast<uint64_t>(a.m), n = static_cast<uint64_t>(a.n), k = static_cast<uint64_t>(a.k);
    const uint64_t wsb = ws.bytes;
    cublasLtMatmulPreference_t pref = nullptr;
    int found = 0;
    // Column-major view: C^T (n x m) = op(X) (n x k) * A^T (k x m), X = B.
    if (lt.load(e) != 0 || !lt.ok(lt.create(&lt_handle), "cublasLtCreate", e) ||
        !lt.ok(lt.desc_create(&desc, compute_type(a.precision), scale), "cublasLtMatmulDescCreate", e) ||
        !lt.ok(lt.desc_set(desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_x, sizeof op_x), "cublasLtMatmulDescSetAttribute", e) ||
        !lt.ok(lt.desc_set(desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_y, sizeof op_y), "cublasLtMatmulDescSetAttribute", e) ||
        !lt.ok(lt.layout_create(&lay_x, in_type(a.precision), b_col ? k : n, b_col ? n : k,
                                static_cast<int64_t>(b_col ? k : n)),
               "cublasLtMatrixLayoutCreate", e) ||
        !lt.ok(lt.layout_create(&lay_y, in_type(a.precision), k, m, static_cast<int64_t>(k)), "cublasLtMatrixLayoutCreate", e) ||
        !lt.ok(lt.layout_create(&lay_c, out_type(a.precision), n, m, static_cast<int64_t>(n)), "cublasLtMatrixLayoutCreate", e) ||
        !lt.ok(lt.pref_create(&pref), "cublasLtMatmulPreferenceCreate", e))
        return -1;
    bool fine = lt.ok(lt.pref_set(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &wsb, sizeof wsb),
                      "cublasLtMatmulPreferenceSetAttribute", e) &&
                lt.ok(lt.heuristic(lt_handle, desc, lay_x, lay_y, lay_c, lay_c, pref, 1, &heur, &found),
                      "cublasLtMatmulAlgoGetHeuristic", e);
    lt.pref_destroy(pref);
    if (!fine)
        return -1;
    if (found < 1 || heur.state != CUBLAS_STATUS_SUCCESS)
        return e.set("cuBLASLt has no algorithm for %s m=%lld n=%lld k=%lld on this GPU", prec_name(a.precision),
                     static_cast<long long>(a.m), static_cast<long long>(a.n), static_cast<long long>(a.k));
    std::snprintf(how, sizeof how, "cublasLtMatmul %s, %s, best heuristic algorithm (workspace %zu KiB), cuBLASLt %zu (%s)",
                  prec_name(a.precision), compute_name(a.precision), heur.workspaceSize / 1024, lt.version(),
                  lt.lib.path);
    return 0;
}

// Host copies (logical sizes) to the device; the native kernels' padding
// is zero so it adds nothing to any dot product.
int MatmulJob::upload(const Err &e)
{
    const size_t es = in_size(a.precision);
    const size_t m = static_cast<size_t>(a.m), n = static_cast<size_t>(a.n), k = static_cast<size_t>(a.k);
    if (mp != a.m || kp != a.k || np != a.n) {
        if (!ok(cudaMemset(da.p, 0, da.bytes), "cudaMemset(A)", e) || !ok(cudaMemset(db.p, 0, db.bytes), "cudaMemset(B)", e))
            return -1;
    }
    // A: m rows of k; B: k rows of n, or n rows of k when column-major.
    const size_t b_rows = b_col ? n : k, b_cols = b_col ? k : n, b_pitch = static_cast<size_t>(b_col ? kp : np);
    if (!ok(cudaMemcpy2D(da.p, static_cast<size_t>(kp) * es, ha.data(), k * es, k * es, m, cudaMemcpyHostToDevice),
            "cudaMemcpy2D(A)", e) ||
        !ok(cudaMemcpy2D(db.p, b_pitch * es, hb.data(), b_cols * es, b_cols * es, b_rows, cudaMemcpyHostToDevice),
            "cudaMemcpy2D(B)", e))
        return -1;
    // All-ones bytes are NaN (or -1) in every output type: a kernel that
    // writes nothing cannot pass.
    return ok(cudaMemset(dc.p, 0xff, dc.bytes), "cudaMemset(C)", e) ? 0 : -1;
}

int MatmulJob::enqueue(uint64_t iters, const Err &e)
{
    const int m = static_cast<int>(a.m), n = static_cast<int>(a.n), k = static_cast<int>(a.k);
    for (uint64_t it = 0; it < iters; it++) {
        switch (a.impl) {
        case AIB_CUDA_MM_CUBLAS:
            if (!blas.ok(blas.gemm_ex(handle, b_col ? CUBLAS_OP_T : CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, alpha(), db.p,
                                      in_type(a.precision), b_col ? k : n, da.p, in_type(a.precision), k, beta(),
                                      dc.p, out_type(a.precision), n, compute_type(a.precision), CUBLAS_GEMM_DEFAULT),
                         "cublasGemmEx", e))
                return -1;
            break;
        case AIB_CUDA_MM_CUBLASLT:
            if (!lt.ok(lt.matmul(lt_handle, desc, alpha(), db.p, lay_x, da.p, lay_y, beta(), dc.p, lay_c, dc.p, lay_c,
                                 &heur.algo, ws.p, ws.bytes, stream),
                       "cublasLtMatmul", e))
                return -1;
            break;
        default: {
            cudaError_t ce;
            const int M = static_cast<int>(mp), N = static_cast<int>(np), K = static_cast<int>(kp);
            switch (a.precision) {
            case AIB_CUDA_FP64:
                ce = gemm_simt(static_cast<const double *>(da.p), static_cast<const double *>(db.p),
                               static_cast<double *>(dc.p), M, N, K, stream);
                break;
            case AIB_CUDA_FP32:
                ce = gemm_simt(static_cast<const float *>(da.p), static_cast<const float *>(db.p),
                               static_cast<float *>(dc.p), M, N, K, stream);
                break;
            case AIB_CUDA_FP16:
                ce = gemm_wmma(static_cast<const __half *>(da.p), static_cast<const __half *>(db.p),
                               static_cast<__half *>(dc.p), M, N, K, stream);
                break;
            default:
                ce = gemm_wmma(static_cast<const __nv_bfloat16 *>(da.p), static_cast<const __nv_bfloat16 *>(db.p),
                               static_cast<__nv_bfloat16 *>(dc.p), M, N, K, stream);
                break;
            }
            if (!ok(ce, "native GEMM kernel launch", e))
                return -1;
        }
        }
    }
    return 0;
}

int MatmulJob::verify(const Err &e)
{
    const size_t m = static_cast<size_t>(a.m), n = static_cast<size_t>(a.n), k = static_cast<size_t>(a.k);
    const size_t os = out_size(a.precision), ldc = static_cast<size_t>(np);
    const bool all = m * n <= 65536;
    const size_t count = all ? m * n : 256;
    std::vector<unsigned char> got(all ? m * n * os : os);
    if (all && !ok(cudaMemcpy2D(got.data(), n * os, dc.p, ldc * os, n * os, m, cudaMemcpyDeviceToHost), "cudaMemcpy2D(C)", e))
        return -1;
    const Tol tol = tolerance(a.precision);
    Rng r(0xD1B54A32D192ED03ULL);
    for (size_t t = 0; t < count; t++) {
        // Sampled: both corners first, then spread over C.
        size_t i, j;
        if (all) {
            i = t / n;
            j = t % n;
        } else {
            i = t == 0 ? 0 : t == 1 ? m - 1 : r.below(m);
            j = t == 0 ? 0 : t == 1 ? n - 1 : r.below(n);
            if (!ok(cudaMemcpy(got.data(), static_cast<const unsigned char *>(dc.p) + (i * ldc + j) * os, os,
                               cudaMemcpyDeviceToHost),
                    "cudaMemcpy(C element)", e))
                return -1;
        }
        RefDot d;
        for (size_t p = 0; p < k; p++)
            d.add(get_in(ha.data(), a.precision, i * k + p) *
                  get_in(hb.data(), a.precision, b_col ? j * k + p : p * n + j));
        const double v = get_out(got.data(), a.precision, all ? t : 0);
        const double allowed = d.allowed(tol);
        if (!(std::fabs(v - d.sum) <= allowed))
            return e.set("wrong answer: C[%zu,%zu] = %.9g, reference %.9g (|error| %.3g > tolerance %.3g for %s)", i, j,
                         v, d.sum, std::fabs(v - d.sum), allowed, prec_name(a.precision));
    }
    return 0;
}

} // namespace

int make_matmul(int device, const aib_cuda_matmul_args &args, std::unique_ptr<aib_cuda_job> &out, const Err &e)
{
    std::unique_ptr<MatmulJob> j(new MatmulJob);
    j->a = args;
    j->b_col = args.precision == AIB_CUDA_INT8 || args.precision == AIB_CUDA_FP8;
    const bool native = args.impl == AIB_CUDA_MM_NATIVE;
    if (native && args.precision != AIB_CUDA_FP64 && args.precision != AIB_CUDA_FP32 &&
        args.precision != AIB_CUDA_FP16 && args.precision != AIB_CUDA_BF16)
        return e.set("impl=native has no %s kernel (fp64, fp32, fp16, bf16)", prec_name(args.precision));
    if (args.impl == AIB_CUDA_MM_CUBLAS && args.precision == AIB_CUDA_FP8)
        return e.set("cublasGemmEx has no fp8: use impl=cublaslt");
    if (args.m < 1 || args.n < 1 || args.k < 1 || args.m > (1 << 20) || args.n > (1 << 20) || args.k > (1 << 20))
        return e.set("matmul m=%lld n=%lld k=%lld out of range", static_cast<long long>(args.m),
                     static_cast<long long>(args.n), static_cast<long long>(args.k));
    j->mp = native ? round_up(args.m, kNativeTileMN) : args.m;
    j->np = native ? round_up(args.n, kNativeTileMN) : args.n;
    j->kp = native ? round_up(args.k, kNativeTileK) : args.k;
    if (j->open(device, e) != 0)
        return -1;
    const size_t es = in_size(args.precision), os = out_size(args.precision);
    const size_t m = static_cast<size_t>(args.m), n = static_cast<size_t>(args.n), k = static_cast<size_t>(args.k);
    j->ha.resize(m * k * es);
    j->hb.resize(k * n * es);
    fill_inputs(j->ha.data(), args.precision, m * k, 0x9E3779B97F4A7C15ULL);
    fill_inputs(j->hb.data(), args.precision, k * n, 0xC2B2AE3D27D4EB4FULL);
    const size_t mp = static_cast<size_t>(j->mp), np = static_cast<size_t>(j->np), kp = static_cast<size_t>(j->kp);
    if (!j->da.alloc(mp * kp * es, "cudaMalloc(A)", e) || !j->db.alloc(kp * np * es, "cudaMalloc(B)", e) ||
        !j->dc.alloc(mp * np * os, "cudaMalloc(C)", e))
        return -1;
    if (!native && !j->ws.alloc(kWorkspace, "cudaMalloc(workspace)", e))
        return -1;
    if (j->upload(e) != 0)
        return -1;
    if (args.impl == AIB_CUDA_MM_CUBLAS && j->setup_cublas(e) != 0)
        return -1;
    if (args.impl == AIB_CUDA_MM_CUBLASLT && j->setup_cublaslt(e) != 0)
        return -1;
    if (native)
        std::snprintf(j->how, sizeof j->how, "%s %s",
                      native_gemm_name(args.precision == AIB_CUDA_FP16 || args.precision == AIB_CUDA_BF16),
                      prec_name(args.precision));
    out = std::move(j);
    return 0;
}

} // namespace aibcuda
