// aibench's own GEMM kernels (see gemm_kernels.cuh). Written from the
// standard techniques (register blocking, double buffering, WMMA tiles,
// cp.async pipelining); tuned for sm_90 but correct on any sm_80+.
#include <mma.h>

#include <cstddef>
#include <cstdint>

#include "gemm_kernels.cuh"

namespace aibcuda {
namespace {

// Grouped block order: 8 consecutive block rows sweep the columns together,
// so the B tiles they share stay in L2.
__device__ __forceinline__ void block_coords(int num_m, int num_n, int &bm, int &bn)
{
    const int group = 8;
    const int bid = static_cast<int>(blockIdx.x);
    const int per_group = group * num_n;
    const int first_m = (bid / per_group) * group;
    const int gsize = min(num_m - first_m, group);
    const int in_group = bid % per_group;
    bm = first_m + in_group % gsize;
    bn = in_group / gsize;
}

// ---- SIMT: 128x128x8 tile, 256 threads, 8x8 per thread -----------------

template <typename T> struct alignas(4 * sizeof(T)) Vec4 {
    T v[4];
};

constexpr int SM_BM = 128, SM_BN = 128, SM_BK = 8;

template <typename T>
__global__ void __launch_bounds__(256) simt_kernel(const T *__restrict__ A, const T *__restrict__ B,
                                                   T *__restrict__ C, int M, int N, int K)
{
    // A is stored k-major in shared memory so each thread reads 4 rows at once.
    __shared__ __align__(32) T As[2][SM_BK][SM_BM];
    __shared__ __align__(32) T Bs[2][SM_BK][SM_BN];
    int bm, bn;
    block_coords(M / SM_BM, N / SM_BN, bm, bn);
    const int tid = static_cast<int>(threadIdx.x);
    const int a_row = tid >> 1, a_col = (tid & 1) * 4;  // 128 rows x 2 quads
    const int b_row = tid >> 5, b_col = (tid & 31) * 4; // 8 rows x 32 quads
    const int tx = tid & 15, ty = tid >> 4;
    const T *a_ptr = A + static_cast<size_t>(bm * SM_BM + a_row) * K + a_col;
    const T *b_ptr = B + static_cast<size_t>(b_row) * N + static_cast<size_t>(bn) * SM_BN + b_col;

    T acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 8; j++)
            acc[i][j] = T(0);

    Vec4<T> ra = *reinterpret_cast<const Vec4<T> *>(a_ptr);
    Vec4<T> rb = *reinterpret_cast<const Vec4<T> *>(b_ptr);
#pragma unroll
    for (int i = 0; i < 4; i++)
        As[0][a_col + i][a_row] = ra.v[i];
    *reinterpret_cast<Vec4<T> *>(&Bs[0][b_row][b_col]) = rb;
    __syncthreads();

    int buf = 0;
    for (int kt = 0; kt < K; kt += SM_BK) {
        const bool next = kt + SM_BK < K;
        if (next) { // the next tile travels while this one is computed
            ra = *reinterpret_cast<const Vec4<T> *>(a_ptr + kt + SM_BK);
            rb = *reinterpret_cast<const Vec4<T> *>(b_ptr + static_cast<size_t>(kt + SM_BK) * N);
        }
#pragma unroll
        for (int kk = 0; kk < SM_BK; kk++) {
            const Vec4<T> a0 = *reinterpret_cast<const Vec4<T> *>(&As[buf][kk][ty * 4]);
            const Vec4<T> a1 = *reinterpret_cast<const Vec4<T> *>(&As[buf][kk][64 + ty * 4]);
            const Vec4<T> b0 = *reinterpret_cast<const Vec4<T> *>(&Bs[buf][kk][tx * 4]);
            const Vec4<T> b1 = *reinterpret_cast<const Vec4<T> *>(&Bs[buf][kk][64 + tx * 4]);
            T a[8], b[8];
#pragma unroll
            for (int i = 0; i < 4; i++) {
                a[i] = a0.v[i];
                a[4 + i] = a1.v[i];
                b[i] = b0.v[i];
                b[4 + i] = b1.v[i];
            }
#pragma unroll
            for (int i = 0; i < 8; i++)
#pragma unroll
                for (int j = 0; j < 8; j++)
                    acc[i][j] += a[i] * b[j];
        }
        if (next) {
            // buf ^ 1 was last read before the previous barrier.
#pragma unroll
            for (int i = 0; i < 4; i++)
                As[buf ^ 1][a_col + i][a_row] = ra.v[i];
            *reinterpret_cast<Vec4<T> *>(&Bs[buf ^ 1][b_row][b_col]) = rb;
        }
        __syncthreads();
        buf ^= 1;
    }

#pragma unroll
    for (int i = 0; i < 8; i++) {
        const int row = bm * SM_BM + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
        T *crow = C + static_cast<size_t>(row) * N + static_cast<size_t>(bn) * SM_BN;
        Vec4<T> v0, v1;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            v0.v[j] = acc[i][j];
            v1.v[j] = acc[i][4 + j];
        }
        *reinterpret_cast<Vec4<T> *>(crow + tx * 4) = v0;
        *reinterpret_cast<Vec4<T> *>(crow + 64 + tx * 4) = v1;
    }
}

// ---- WMMA: 128x128x32 tile, 8 warps of 64x32, 3-stage cp.async ----------

constexpr int WM_BM = 128, WM_BN = 128, WM_BK = 32, WM_STAGES = 3;
// Rows padded by 16 bytes: consecutive fragment rows start on other banks.
constexpr int WM_LDA = WM_BK + 8;
constexpr int WM_LDB = WM_BN + 8;
constexpr int WM_A_ELEMS = WM_BM * WM_LDA;
constexpr int WM_B_ELEMS = WM_BK * WM_LDB;
constexpr int WM_STAGE_ELEMS = WM_A_ELEMS + WM_B_ELEMS;
constexpr int WM_SMEM_BYTES = WM_STAGES * WM_STAGE_ELEMS * 2; // 16-bit elements

__device__ __forceinline__ void cp_async16(void *smem, const void *gmem)
{
    const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(gmem));
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

template <int N> __device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

template <typename T> __device__ __forceinline__ T from_float(float x);
template <> __device__ __forceinline__ __half from_float<__half>(float x) { return __float2half_rn(x); }
template <> __device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float x)
{
    return __float2bfloat16_rn(x);
}

// Issues the 16-byte copies of one A tile (128 x 32) and one B tile
// (32 x 128): 512 chunks each, two per thread.
template <typename T>
__device__ __forceinline__ void wmma_load_tile(T *stage, const T *a_blk, const T *b_blk, int kt, int N, int K,
                                               int tid)
{
    T *as = stage;
    T *bs = stage + WM_A_ELEMS;
#pragma unroll
    for (int i = 0; i < 2; i++) {
        const int c = tid + i * 256;
        const int row = c >> 2, col = (c & 3) * 8;
        cp_async16(as + row * WM_LDA + col, a_blk + static_cast<size_t>(row) * K + kt * WM_BK + col);
    }
#pragma unroll
    for (int i = 0; i < 2; i++) {
        const int c = tid + i * 256;
        const int row = c >> 4, col = (c & 15) * 8;
        cp_async16(bs + row * WM_LDB + col, b_blk + static_cast<size_t>(kt * WM_BK + row) * N + col);
    }
}

template <typename T>
__global__ void __launch_bounds__(256) wmma_kernel(const T *__restrict__ A, const T *__restrict__ B,
                                                   T *__restrict__ C, int M, int N, int K)
{
    using namespace nvcuda;
    extern __shared__ __align__(128) unsigned char smem_raw[];
    T *smem = reinterpret_cast<T *>(smem_raw);
    int bm, bn;
    block_coords(M / WM_BM, N / WM_BN, bm, bn);
    const int tid = static_cast<int>(threadIdx.x), warp = tid >> 5, lane = tid & 31;
    const int warp_m = warp >> 2; // 2 warps down: 64 rows each
    const int warp_n = warp & 3;  // 4 warps across: 32 columns each
    const T *a_blk = A + static_cast<size_t>(bm) * WM_BM * K;
    const T *b_blk = B + static_cast<size_t>(bn) * WM_BN;
    const int ktiles = K / WM_BK;

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4][2];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 2; j++)
            wmma::fill_fragment(acc[i][j], 0.0f);

    // Prologue: tiles 0 .. STAGES-2 in flight (empty groups keep the count).
#pragma unroll
    for (int s = 0; s < WM_STAGES - 1; s++) {
        if (s < ktiles)
            wmma_load_tile(smem + s * WM_STAGE_ELEMS, a_blk, b_blk, s, N, K, tid);
        cp_async_commit();
    }
    for (int t = 0; t < ktiles; t++) {
        cp_async_wait<WM_STAGES - 2>(); // this thread's copies of tile t are done
        __syncthreads();                 // everyone's are, and tile t-1 is consumed
        const int nt = t + WM_STAGES - 1;
        if (nt < ktiles)
            wmma_load_tile(smem + (nt % WM_STAGES) * WM_STAGE_ELEMS, a_blk, b_blk, nt, N, K, tid);
        cp_async_commit();
        const T *as = smem + (t % WM_STAGES) * WM_STAGE_ELEMS;
        const T *bs = as + WM_A_ELEMS;
#pragma unroll
        for (int ks = 0; ks < WM_BK; ks += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa[4];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> fb[2];
#pragma unroll
            for (int i = 0; i < 4; i++)
                wmma::load_matrix_sync(fa[i], as + (warp_m * 64 + i * 16) * WM_LDA + ks, WM_LDA);
#pragma unroll
            for (int j = 0; j < 2; j++)
                wmma::load_matrix_sync(fb[j], bs + ks * WM_LDB + warp_n * 32 + j * 16, WM_LDB);
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 2; j++)
                    wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
    }
    cp_async_wait<0>();
    __syncthreads(); // the pipeline buffers become per-warp staging space

    // fp32 accumulators -> 16-bit outputs through shared memory, 16 bytes per lane.
    float *scratch = reinterpret_cast<float *>(smem_raw) + warp * 256;
    const int r = lane >> 1, c0 = (lane & 1) * 8;
#pragma unroll
    for (int i = 0; i < 4; i++) {
#pragma unroll
        for (int j = 0; j < 2; j++) {
            wmma::store_matrix_sync(scratch, acc[i][j], 16, wmma::mem_row_major);
            __syncwarp();
            uint4 pack;
            T *pv = reinterpret_cast<T *>(&pack);
#pragma unroll
            for (int e = 0; e < 8; e++)
                pv[e] = from_float<T>(scratch[r * 16 + c0 + e]);
            const size_t row = static_cast<size_t>(bm) * WM_BM + warp_m * 64 + i * 16 + r;
            const size_t col = static_cast<size_t>(bn) * WM_BN + warp_n * 32 + j * 16 + c0;
            *reinterpret_cast<uint4 *>(C + row * N + col) = pack;
            __syncwarp();
        }
    }
}

template <typename T> cudaError_t launch_simt(const T *a, const T *b, T *c, int m, int n, int k, cudaStream_t s)
{
    const unsigned blocks = static_cast<unsigned>((m / SM_BM) * (n / SM_BN));
    simt_kernel<T><<<blocks, 256, 0, s>>>(a, b, c, m, n, k);
    return cudaGetLastError();
}

template <typename T> cudaError_t launch_wmma(const T *a, const T *b, T *c, int m, int n, int k, cudaStream_t s)
{
    // Above the 48 KiB default: must be allowed per kernel (cheap, idempotent).
    cudaError_t e = cudaFuncSetAttribute(wmma_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize, WM_SMEM_BYTES);
    if (e != cudaSuccess)
        return e;
    const unsigned blocks = static_cast<unsigned>((m / WM_BM) * (n / WM_BN));
    wmma_kernel<T><<<blocks, 256, WM_SMEM_BYTES, s>>>(a, b, c, m, n, k);
    return cudaGetLastError();
}

} // namespace

static_assert(kNativeTileMN == SM_BM && kNativeTileMN == SM_BN && kNativeTileMN == WM_BM && kNativeTileMN == WM_BN,
              "one block tile for every native kernel");
static_assert(kNativeTileK % SM_BK == 0 && kNativeTileK % WM_BK == 0, "k padding fits both kernels");

cudaError_t gemm_simt(const float *a, const float *b, float *c, int m, int n, int k, cudaStream_t s)
{
    return launch_simt(a, b, c, m, n, k, s);
}

cudaError_t gemm_simt(const double *a, const double *b, double *c, int m, int n, int k, cudaStream_t s)
{
    return launch_simt(a, b, c, m, n, k, s);
}

cudaError_t gemm_wmma(const __half *a, const __half *b, __half *c, int m, int n, int k, cudaStream_t s)
{
    return launch_wmma(a, b, c, m, n, k, s);
}

cudaError_t gemm_wmma(const __nv_bfloat16 *a, const __nv_bfloat16 *b, __nv_bfloat16 *c, int m, int n, int k,
                      cudaStream_t s)
{
    return launch_wmma(a, b, c, m, n, k, s);
}

const char *native_gemm_name(bool tensor_cores)
{
    return tensor_cores ? "native WMMA tensor-core kernel, 128x128x32 tiles, 8 warps of 64x32, 3-stage cp.async"
                        : "native SIMT kernel, 128x128x8 tiles, 8x8 per thread, double-buffered shared memory";
}

} // namespace aibcuda
