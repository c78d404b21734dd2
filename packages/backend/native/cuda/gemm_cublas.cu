// The same BF16 product through cuBLAS, used in place of our kernels only when CMake found cuBLAS
// (full CUDA installs have it; the minimal toolkit on our CI machines does not).
#include "gemm.cuh"
#include "ops.cuh"

#ifdef ANNEAL_WITH_CUBLAS
#include <cublas_v2.h>

#include <string>

namespace anneal::cuda {

bool cublas_built() { return true; }

namespace {

void check_cublas(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("cuBLAS: ") + what + " failed (status " + std::to_string(static_cast<int>(status)) + ")");
  }
}

// One handle per thread: forward passes run on libuv's worker threads, and a handle is not shared safely.
cublasHandle_t handle() {
  thread_local cublasHandle_t h = [] {
    cublasHandle_t created = nullptr;
    check_cublas(cublasCreate(&created), "cublasCreate");
    return created;
  }();
  return h;
}

}  // namespace

void gemm_cublas(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate,
                 cudaStream_t stream) {
  if (m == 0 || n == 0) return;
  cublasHandle_t h = handle();
  check_cublas(cublasSetStream(h, stream), "cublasSetStream");
  // Column-major view: yᵀ[n][m] = op(W)[n][k] · xᵀ[k][m], where W (row-major [n][k]) is Wᵀ column-major.
  const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  check_cublas(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &alpha, w, CUDA_R_16BF, k, x, CUDA_R_16BF, k, &beta, y,
                            CUDA_R_32F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
               "cublasGemmEx");
  if (bias) add_bias(y, bias, m, n, stream);
}

}  // namespace anneal::cuda

#else

namespace anneal::cuda {

bool cublas_built() { return false; }

void gemm_cublas(const bf16*, int, const bf16*, int, int, const float*, float*, bool, cudaStream_t) {
  throw std::runtime_error("this build has no cuBLAS (CMake did not find it); the WMMA kernels are the GEMM here");
}

}  // namespace anneal::cuda

#endif
