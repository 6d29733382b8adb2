// cuBLAS, cuBLASLt and cuDNN, loaded with dlopen when a job first needs
// them: the plugin then links none of them and loads (and reports "no
// driver") where they are absent; a job that needs a missing library fails
// with the paths tried. Each job holds its own handles (dlopen counts
// references; RTLD_NODELETE keeps the code mapped, so reopening is cheap).
// Function pointer types come from the real headers through decltype.
#ifndef AIB_CUDA_LIBS_CUH
#define AIB_CUDA_LIBS_CUH

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cudnn.h>

#include "common.cuh"

namespace aibcuda {

struct Lib {
    void *h = nullptr;
    char path[256] = "";
    Lib() = default;
    Lib(const Lib &) = delete;
    Lib &operator=(const Lib &) = delete;
    ~Lib();
    // Tries the soname (LD_LIBRARY_PATH, ld.so cache), then $CUDA_HOME and
    // /usr/local/cuda lib64/lib folders.
    bool open(const char *soname, const Err &e);
    void *sym(const char *name, const Err &e) const;
    template <typename F> bool get(F &f, const char *name, const Err &e) const
    {
        f = reinterpret_cast<F>(sym(name, e));
        return f != nullptr;
    }
};

struct Cublas {
    Lib lib;
    decltype(&cublasCreate_v2) create = nullptr;
    decltype(&cublasDestroy_v2) destroy = nullptr;
    decltype(&cublasSetStream_v2) set_stream = nullptr;
    decltype(&cublasSetWorkspace_v2) set_workspace = nullptr;
    decltype(&cublasSetMathMode) set_math_mode = nullptr;
    // Written out: C++ sees a second, inline cublasGemmEx overload.
    cublasStatus_t (*gemm_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void *,
                              const void *, cudaDataType, int, const void *, cudaDataType, int, const void *, void *,
                              cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t) = nullptr;
    decltype(&cublasGetStatusString) status_string = nullptr;
    decltype(&cublasGetProperty) get_property = nullptr;
    int load(const Err &e);
    // A failed cuBLAS call: false with the status in e.
    bool ok(cublasStatus_t s, const char *what, const Err &e) const;
};

struct CublasLt {
    Lib lib;
    decltype(&cublasLtCreate) create = nullptr;
    decltype(&cublasLtDestroy) destroy = nullptr;
    decltype(&cublasLtMatmulDescCreate) desc_create = nullptr;
    decltype(&cublasLtMatmulDescDestroy) desc_destroy = nullptr;
    decltype(&cublasLtMatmulDescSetAttribute) desc_set = nullptr;
    decltype(&cublasLtMatrixLayoutCreate) layout_create = nullptr;
    decltype(&cublasLtMatrixLayoutDestroy) layout_destroy = nullptr;
    decltype(&cublasLtMatmulPreferenceCreate) pref_create = nullptr;
    decltype(&cublasLtMatmulPreferenceDestroy) pref_destroy = nullptr;
    decltype(&cublasLtMatmulPreferenceSetAttribute) pref_set = nullptr;
    decltype(&cublasLtMatmulAlgoGetHeuristic) heuristic = nullptr;
    decltype(&cublasLtMatmul) matmul = nullptr;
    decltype(&cublasLtGetVersion) version = nullptr;
    decltype(&cublasLtGetStatusString) status_string = nullptr;
    int load(const Err &e);
    bool ok(cublasStatus_t s, const char *what, const Err &e) const;
};

struct Cudnn {
    Lib lib;
    decltype(&cudnnCreate) create = nullptr;
    decltype(&cudnnDestroy) destroy = nullptr;
    decltype(&cudnnSetStream) set_stream = nullptr;
    decltype(&cudnnGetErrorString) error_string = nullptr;
    decltype(&cudnnGetVersion) version = nullptr;
    decltype(&cudnnCreateTensorDescriptor) tensor_create = nullptr;
    decltype(&cudnnSetTensor4dDescriptor) tensor_set = nullptr;
    decltype(&cudnnDestroyTensorDescriptor) tensor_destroy = nullptr;
    decltype(&cudnnCreateFilterDescriptor) filter_create = nullptr;
    decltype(&cudnnSetFilter4dDescriptor) filter_set = nullptr;
    decltype(&cudnnDestroyFilterDescriptor) filter_destroy = nullptr;
    decltype(&cudnnCreateConvolutionDescriptor) conv_create = nullptr;
    decltype(&cudnnSetConvolution2dDescriptor) conv_set = nullptr;
    decltype(&cudnnSetConvolutionGroupCount) conv_groups = nullptr;
    decltype(&cudnnSetConvolutionMathType) conv_math = nullptr;
    decltype(&cudnnDestroyConvolutionDescriptor) conv_destroy = nullptr;
    decltype(&cudnnGetConvolution2dForwardOutputDim) out_dim = nullptr;
    decltype(&cudnnGetConvolutionForwardAlgorithmMaxCount) algo_count = nullptr;
    decltype(&cudnnFindConvolutionForwardAlgorithm) find_algo = nullptr;
    decltype(&cudnnGetConvolutionForwardWorkspaceSize) workspace_size = nullptr;
    decltype(&cudnnConvolutionForward) forward = nullptr;
    int load(const Err &e);
    bool ok(cudnnStatus_t s, const char *what, const Err &e) const;
};

} // namespace aibcuda

#endif
