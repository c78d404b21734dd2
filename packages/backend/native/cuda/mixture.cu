// Kernels for LLaDA-MoE's blocks on the device (mixture.cuh): simple one-thread-per-element
// launches; the experts' products themselves are the engine's GEMMs.
#include "mixture.cuh"

namespace anneal::cuda {

namespace {

constexpr int kThreads = 256;

// One thread per (row, head): the head's sum of squares, then the scaled values.
__global__ void head_rms_norm_kernel(float* x, int ld, int rows, int heads, int head_dim, const float* weight,
                                     float eps) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= rows * heads) return;
  float* head = x + static_cast<size_t>(i / heads) * ld + static_cast<size_t>(i % heads) * head_dim;
  float square = 0;
  for (int d = 0; d < head_dim; ++d) square += head[d] * head[d];
  const float scale = rsqrtf(square / head_dim + eps);
  for (int d = 0; d < head_dim; ++d) head[d] = head[d] * scale * weight[d];
}

__global__ void add_weighted_rows_kernel(const float* y, const int32_t* rows, const float* weights, float* x, int count,
                                         int dim) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<size_t>(count) * dim) return;
  const size_t r = i / dim;
  x[static_cast<size_t>(rows[r]) * dim + i % dim] += weights[r] * y[i];
}

}  // namespace

void head_rms_norm(float* x, int ld, int rows, int heads, int head_dim, const float* weight, float eps,
                   cudaStream_t stream) {
  const int n = rows * heads;
  if (n == 0) return;
  head_rms_norm_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(x, ld, rows, heads, head_dim, weight, eps);
  check_launch("head_rms_norm");
}

void add_weighted_rows(const float* y, const int32_t* rows, const float* weights, float* x, int count, int dim,
                       cudaStream_t stream) {
  const size_t n = static_cast<size_t>(count) * dim;
  if (n == 0) return;
  add_weighted_rows_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(y, rows, weights, x, count, dim);
  check_launch("add_weighted_rows");
}

}  // namespace anneal::cuda
