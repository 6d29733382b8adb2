// The job factories, one per workload (matmul.cu, conv.cu, membw.cu,
// transfer.cu). Each validates what only the GPU can tell, allocates,
// fills the inputs and leaves a ready job in `out`; 0 or -1 with e set.
#ifndef AIB_CUDA_JOBS_CUH
#define AIB_CUDA_JOBS_CUH

#include <memory>

#include "common.cuh"

namespace aibcuda {

int make_matmul(int device, const aib_cuda_matmul_args &a, std::unique_ptr<aib_cuda_job> &out, const Err &e);
int make_conv(int device, const aib_cuda_conv_args &a, std::unique_ptr<aib_cuda_job> &out, const Err &e);
int make_membw(int device, const aib_cuda_membw_args &a, std::unique_ptr<aib_cuda_job> &out, const Err &e);
int make_transfer(int device, const aib_cuda_transfer_args &a, std::unique_ptr<aib_cuda_job> &out,
                  const Err &e);

} // namespace aibcuda

#endif
