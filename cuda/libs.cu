// Loading cuBLAS, cuBLASLt and cuDNN at run time (see libs.cuh).
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

#include "libs.cuh"

#define AIB_STR2(x) #x
#define AIB_STR(x) AIB_STR2(x)

namespace aibcuda {

Lib::~Lib()
{
    if (h)
        dlclose(h);
}

bool Lib::open(const char *soname, const Err &e)
{
    char cand[4][256];
    const char *home = std::getenv("CUDA_HOME");
    int n = 0;
    std::snprintf(cand[n++], sizeof cand[0], "%s", soname);
    if (home && home[0])
        std::snprintf(cand[n++], sizeof cand[0], "%s/lib64/%s", home, soname);
    std::snprintf(cand[n++], sizeof cand[0], "/usr/local/cuda/lib64/%s", soname);
    std::snprintf(cand[n++], sizeof cand[0], "/usr/local/cuda/lib/%s", soname);
    char first[200] = "";
    for (int i = 0; i < n; i++) {
        if ((h = dlopen(cand[i], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE))) {
            std::memcpy(path, cand[i], sizeof path); // same size, NUL-terminated
            return true;
        }
        const char *de = dlerror();
        if (i == 0 && de)
            std::snprintf(first, sizeof first, "%s", de);
    }
    e.set("cannot load %s (tried the library path, $CUDA_HOME/lib64 and /usr/local/cuda/lib{64,}; "
          "add its folder to LD_LIBRARY_PATH): %s",
          soname, first);
    return false;
}

void *Lib::sym(const char *name, const Err &e) const
{
    dlerror();
    void *p = dlsym(h, name);
    if (!p) {
        const char *de = dlerror();
        e.set("%s has no %s: %s", path, name, de ? de : "symbol is NULL");
    }
    return p;
}

int Cublas::load(const Err &e)
{
    if (!lib.open("libcublas.so." AIB_STR(CUBLAS_VER_MAJOR), e))
        return -1;
    bool all = lib.get(create, "cublasCreate_v2", e) && lib.get(destroy, "cublasDestroy_v2", e) &&
               lib.get(set_stream, "cublasSetStream_v2", e) &&
               lib.get(set_workspace, "cublasSetWorkspace_v2", e) &&
               lib.get(set_math_mode, "cublasSetMathMode", e) && lib.get(gemm_ex, "cublasGemmEx", e) &&
               lib.get(status_string, "cublasGetStatusString", e) &&
               lib.get(get_property, "cublasGetProperty", e);
    return all ? 0 : -1;
}

bool Cublas::ok(cublasStatus_t s, const char *what, const Err &e) const
{
    if (s == CUBLAS_STATUS_SUCCESS)
        return true;
    e.set("%s: %s (cuBLAS status %d)", what, status_string ? status_string(s) : "?", static_cast<int>(s));
    return false;
}

int CublasLt::load(const Err &e)
{
    if (!lib.open("libcublasLt.so." AIB_STR(CUBLAS_VER_MAJOR), e))
        return -1;
    bool all = lib.get(create, "cublasLtCreate", e) && lib.get(destroy, "cublasLtDestroy", e) &&
               lib.get(desc_create, "cublasLtMatmulDescCreate", e) &&
               lib.get(desc_destroy, "cublasLtMatmulDescDestroy", e) &&
               lib.get(desc_set, "cublasLtMatmulDescSetAttribute", e) &&
               lib.get(layout_create, "cublasLtMatrixLayoutCreate", e) &&
               lib.get(layout_destroy, "cublasLtMatrixLayoutDestroy", e) &&
               lib.get(pref_create, "cublasLtMatmulPreferenceCreate", e) &&
               lib.get(pref_destroy, "cublasLtMatmulPreferenceDestroy", e) &&
               lib.get(pref_set, "cublasLtMatmulPreferenceSetAttribute", e) &&
               lib.get(heuristic, "cublasLtMatmulAlgoGetHeuristic", e) &&
               lib.get(matmul, "cublasLtMatmul", e) && lib.get(version, "cublasLtGetVersion", e) &&
               lib.get(status_string, "cublasLtGetStatusString", e);
    return all ? 0 : -1;
}

bool CublasLt::ok(cublasStatus_t s, const char *what, const Err &e) const
{
    if (s == CUBLAS_STATUS_SUCCESS)
        return true;
    e.set("%s: %s (cuBLASLt status %d)", what, status_string ? status_string(s) : "?", static_cast<int>(s));
    return false;
}

int Cudnn::load(const Err &e)
{
    if (!lib.open("libcudnn.so." AIB_STR(CUDNN_MAJOR), e))
        return -1;
    bool all = lib.get(create, "cudnnCreate", e) && lib.get(destroy, "cudnnDestroy", e) &&
               lib.get(set_stream, "cudnnSetStream", e) && lib.get(error_string, "cudnnGetErrorString", e) &&
               lib.get(version, "cudnnGetVersion", e) &&
               lib.get(tensor_create, "cudnnCreateTensorDescriptor", e) &&
               lib.get(tensor_set, "cudnnSetTensor4dDescriptor", e) &&
               lib.get(tensor_destroy, "cudnnDestroyTensorDescriptor", e) &&
               lib.get(filter_create, "cudnnCreateFilterDescriptor", e) &&
               lib.get(filter_set, "cudnnSetFilter4dDescriptor", e) &&
               lib.get(filter_destroy, "cudnnDestroyFilterDescriptor", e) &&
               lib.get(conv_create, "cudnnCreateConvolutionDescriptor", e) &&
               lib.get(conv_set, "cudnnSetConvolution2dDescriptor", e) &&
               lib.get(conv_groups, "cudnnSetConvolutionGroupCount", e) &&
               lib.get(conv_math, "cudnnSetConvolutionMathType", e) &&
               lib.get(conv_destroy, "cudnnDestroyConvolutionDescriptor", e) &&
               lib.get(out_dim, "cudnnGetConvolution2dForwardOutputDim", e) &&
               lib.get(algo_count, "cudnnGetConvolutionForwardAlgorithmMaxCount", e) &&
               lib.get(find_algo, "cudnnFindConvolutionForwardAlgorithm", e) &&
               lib.get(workspace_size, "cudnnGetConvolutionForwardWorkspaceSize", e) &&
               lib.get(forward, "cudnnConvolutionForward", e);
    return all ? 0 : -1;
}

bool Cudnn::ok(cudnnStatus_t s, const char *what, const Err &e) const
{
    if (s == CUDNN_STATUS_SUCCESS)
        return true;
    e.set("%s: %s (cuDNN status %d)", what, error_string ? error_string(s) : "?", static_cast<int>(s));
    return false;
}

} // namespace aibcuda
