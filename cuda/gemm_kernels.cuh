// aibench's own GEMM kernels (impl=native): C = A * B, row-major, A m x k,
// B k x n, C m x n, with m, n, k padded by the caller to multiples of
// kNativeTileMN / kNativeTileK (the padding is zero, so it adds nothing),
// leading dimensions k, n, n. No bounds checks inside the tiles.
#ifndef AIB_CUDA_GEMM_KERNELS_CUH
#define AIB_CUDA_GEMM_KERNELS_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace aibcuda {

constexpr int kNativeTileMN = 128; // block tile in m and n, for every kernel
constexpr int kNativeTileK = 32;   // k padding that suits both kernels

// SIMT (CUDA cores), fp32 / fp64: 128x128x8 block tile, 256 threads each
// computing 8x8, double-buffered shared memory.
cudaError_t gemm_simt(const float *a, const float *b, float *c, int m, int n, int k, cudaStream_t s);
cudaError_t gemm_simt(const double *a, const double *b, double *c, int m, int n, int k, cudaStream_t s);
// Tensor cores through WMMA, fp16 / bf16 in and out, fp32 accumulation:
// 128x128x32 block tile, 8 warps of 64x32, 3-stage cp.async pipeline.
cudaError_t gemm_wmma(const __half *a, const __half *b, __half *c, int m, int n, int k, cudaStream_t s);
cudaError_t gemm_wmma(const __nv_bfloat16 *a, const __nv_bfloat16 *b, __nv_bfloat16 *c, int m, int n, int k,
                      cudaStream_t s);
// One line on the kernel used for a precision (for job_describe).
const char *native_gemm_name(bool tensor_cores);

} // namespace aibcuda

#endif
