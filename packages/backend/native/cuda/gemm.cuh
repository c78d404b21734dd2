// Matrix products in BF16 with FP32 accumulation: y[m][n] (+)= x[m][k] · w[n][k] (+ bias[n]), the
// layout of a linear layer (W is [out][in], as checkpoints store it).
#pragma once

#include "common.cuh"
#include "cuda_engine.h"

namespace anneal::cuda {

// Our tensor-core kernel (WMMA 16×16×16 fragments). Any sizes; 16-byte loads when k % 8 == 0.
void gemm_wmma(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate,
               cudaStream_t stream, const WmmaChoice& choice = {});

// The persistent (stream-K) WMMA kernel for m ≤ 32 and k % 8 == 0 (gemm_stream.cu): `columns` 64 or
// 128 per tile, 2–4 pipeline stages, at most `blocks_per_sm` blocks per SM (0: all that fit).
void gemm_stream(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate,
                 cudaStream_t stream, int columns, int stages, int blocks_per_sm);

// The same product through cuBLAS (only when the build found it; throws otherwise).
void gemm_cublas(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate,
                 cudaStream_t stream);

inline void gemm(GemmBackend backend, const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y,
                 bool accumulate, cudaStream_t stream) {
  if (backend == GemmBackend::Cublas) {
    gemm_cublas(x, m, w, n, k, bias, y, accumulate, stream);
  } else {
    gemm_wmma(x, m, w, n, k, bias, y, accumulate, stream);
  }
}

// Streaming multiprocessors of the current device (80 if it cannot be read).
int multiprocessors();

}  // namespace anneal::cuda
