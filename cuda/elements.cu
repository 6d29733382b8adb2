// Element types on the host side: conversions for inputs and outputs, the
// deterministic input generator and the per-precision tolerance.
#include <cmath>
#include <cstring>

#include "common.cuh"

namespace aibcuda {

size_t in_size(int prec)
{
    switch (prec) {
    case AIB_CUDA_FP64: return 8;
    case AIB_CUDA_FP32:
    case AIB_CUDA_TF32: return 4;
    case AIB_CUDA_FP16:
    case AIB_CUDA_BF16: return 2;
    default: return 1; // int8, fp8
    }
}

size_t out_size(int prec)
{
    switch (prec) {
    case AIB_CUDA_FP64: return 8;
    case AIB_CUDA_INT8: // int32 out
    case AIB_CUDA_FP32:
    case AIB_CUDA_TF32: return 4;
    default: return 2; // fp16, bf16, fp8 (bf16 out)
    }
}

const char *prec_name(int prec)
{
    static const char *const names[] = {"fp64", "fp32", "tf32", "fp16", "bf16", "int8", "fp8"};
    return prec >= 0 && prec <= AIB_CUDA_FP8 ? names[prec] : "unknown";
}

void put_in(void *base, int prec, size_t i, double v)
{
    switch (prec) {
    case AIB_CUDA_FP64: static_cast<double *>(base)[i] = v; break;
    case AIB_CUDA_FP32:
    case AIB_CUDA_TF32: static_cast<float *>(base)[i] = static_cast<float>(v); break;
    case AIB_CUDA_FP16: static_cast<__half *>(base)[i] = __float2half_rn(static_cast<float>(v)); break;
    case AIB_CUDA_BF16: static_cast<__nv_bfloat16 *>(base)[i] = __float2bfloat16_rn(static_cast<float>(v)); break;
    case AIB_CUDA_INT8: static_cast<int8_t *>(base)[i] = static_cast<int8_t>(std::lrint(v)); break;
    case AIB_CUDA_FP8: static_cast<__nv_fp8_e4m3 *>(base)[i] = __nv_fp8_e4m3(static_cast<float>(v)); break;
    }
}

double get_in(const void *base, int prec, size_t i)
{
    switch (prec) {
    case AIB_CUDA_FP64: return static_cast<const double *>(base)[i];
    case AIB_CUDA_FP32:
    case AIB_CUDA_TF32: return static_cast<const float *>(base)[i];
    case AIB_CUDA_FP16: return __half2float(static_cast<const __half *>(base)[i]);
    case AIB_CUDA_BF16: return __bfloat162float(static_cast<const __nv_bfloat16 *>(base)[i]);
    case AIB_CUDA_INT8: return static_cast<const int8_t *>(base)[i];
    case AIB_CUDA_FP8: return static_cast<float>(static_cast<const __nv_fp8_e4m3 *>(base)[i]);
    }
    return NAN;
}

double get_out(const void *base, int prec, size_t i)
{
    switch (prec) {
    case AIB_CUDA_FP64: return static_cast<const double *>(base)[i];
    case AIB_CUDA_FP32:
    case AIB_CUDA_TF32: return static_cast<const float *>(base)[i];
    case AIB_CUDA_FP16: return __half2float(static_cast<const __half *>(base)[i]);
    case AIB_CUDA_BF16:
    case AIB_CUDA_FP8: return __bfloat162float(static_cast<const __nv_bfloat16 *>(base)[i]);
    case AIB_CUDA_INT8: return static_cast<const int32_t *>(base)[i];
    }
    return NAN;
}

void fill_inputs(void *base, int prec, size_t n, uint64_t seed)
{
    Rng r(seed);
    for (size_t i = 0; i < n; i++) {
        if (prec == AIB_CUDA_INT8)
            put_in(base, prec, i, static_cast<double>(static_cast<int64_t>(r.below(128)) - 64));
        else
            put_in(base, prec, i, r.uniform());
    }
}

Tol tolerance(int prec)
{
    const double u53 = std::ldexp(1.0, -53), u24 = std::ldexp(1.0, -24);
    switch (prec) {
    case AIB_CUDA_FP64: return {0, 0, 2 * u53, u53};
    case AIB_CUDA_FP32: return {0, 0, 2 * u24, u24};
    // tf32 keeps 10 mantissa bits of each input: a product is off by up to ~2^-9.
    case AIB_CUDA_TF32: return {std::ldexp(1.0, -9), 0, 2 * u24, u24};
    // fp16/bf16 products are exact in fp32; tensor cores may truncate while adding.
    case AIB_CUDA_FP16: return {0, 0, 2 * u24, std::ldexp(1.0, -11)};
    case AIB_CUDA_BF16: return {0, 0, 2 * u24, std::ldexp(1.0, -8)};
    case AIB_CUDA_INT8: return {0, 0, 0, 0}; // exact
    // fp8 tensor cores on Hopper keep about 14 bits while accumulating.
    case AIB_CUDA_FP8: return {0, std::ldexp(1.0, -13), 2 * u24, std::ldexp(1.0, -8)};
    }
    return {0, 0, 0, 0};
}

double RefDot::allowed(const Tol &t) const
{
    return 2 * t.u_out * std::fabs(sum) + 8 * (t.u_in * std::sqrt(l2) + t.u_stat * std::sqrt(s2)) + t.u_lin * s1;
}

} // namespace aibcuda
