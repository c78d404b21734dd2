// Elementwise and row-wise kernels of the forward pass (attention is in attention.cu, matrix
// products in gemm.cu, the vocabulary statistics in stats.cu).
#include <cmath>

#include "../src/seeded_draw.h"
#include "ops.cuh"

namespace anneal::cuda {

namespace {

constexpr int THREADS = 256;

__global__ void embed_kernel(const bf16* embed, const int32_t* tokens, float* x, int rows, int dim) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<size_t>(rows) * dim) return;
  const size_t r = i / dim, d = i % dim;
  x[i] = __bfloat162float(embed[static_cast<size_t>(tokens[r]) * dim + d]);
}

// One block per row: a block-wide sum of squares, then the scaled row.
__global__ void rms_norm_kernel(const float* x, int ldx, const float* weight, bf16* y, int dim, float eps) {
  const float* row = x + static_cast<size_t>(blockIdx.x) * ldx;
  float square = 0;
#pragma unroll 8
  for (int i = threadIdx.x; i < dim; i += THREADS) square += row[i] * row[i];  // unrolled: loads in flight together
  __shared__ float partial[32];
  for (int offset = 16; offset > 0; offset /= 2) square += __shfl_xor_sync(0xffffffffu, square, offset);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = square;
  __syncthreads();
  if (threadIdx.x < 32) {
    square = threadIdx.x < THREADS / 32 ? partial[threadIdx.x] : 0.0f;
    for (int offset = 16; offset > 0; offset /= 2) square += __shfl_xor_sync(0xffffffffu, square, offset);
    if (threadIdx.x == 0) partial[0] = rsqrtf(square / dim + eps);
  }
  __syncthreads();
  const float inv = partial[0];
  bf16* out = y + static_cast<size_t>(blockIdx.x) * dim;
#pragma unroll 8
  for (int i = threadIdx.x; i < dim; i += THREADS) out[i] = __float2bfloat16(row[i] * inv * weight[i]);
}

// One thread per (row, head, i < rotary_dim / 2): the pair (x[i], x[i + rotary_dim / 2]) rotated by
// position · inv_freq[i]; a head's values past rotary_dim (partial rotary) stay as they are.
__global__ void rope_kernel(float* x, int ldx, const int32_t* positions, int rows, int heads, int head_dim,
                            int rotary_dim, float theta) {
  const int half = rotary_dim / 2;
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<size_t>(rows) * heads * half) return;
  const int pair = static_cast<int>(i % half);
  const size_t row_head = i / half;
  const size_t r = row_head / heads, head = row_head % heads;
  // Same formula as the CPU twin: inv_freq = 1 / theta^(2i / rotary_dim), angle in FP32.
  const float inv_freq = 1.0f / powf(theta, static_cast<float>(2 * pair) / rotary_dim);
  const float angle = static_cast<float>(positions[r]) * inv_freq;
  float sin_a, cos_a;
  sincosf(angle, &sin_a, &cos_a);
  float* v = x + r * ldx + head * head_dim;
  const float x1 = v[pair], x2 = v[pair + half];
  v[pair] = x1 * cos_a - x2 * sin_a;
  v[pair + half] = x2 * cos_a + x1 * sin_a;
}

// One thread per (row, slot, i < half) over heads + 2·kv_heads slots: a query or key pair rotated
// (queries in place; keys straight into the cache in BF16), or a value pair copied into the cache.
// With partial rotary, the threads past rotary_dim / 2 carry a pair of the unrotated tail instead.
__global__ void rope_store_kernel(float* qkv, int ld, const int32_t* positions, int rows, int heads, int kv_heads,
                                  int head_dim, int rotary_dim, float theta, bf16* keys, bf16* values) {
  const int half = head_dim / 2, slots = heads + 2 * kv_heads;
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<size_t>(rows) * slots * half) return;
  const int pair = static_cast<int>(i % half), slot = static_cast<int>((i / half) % slots);
  const size_t r = i / (static_cast<size_t>(half) * slots);
  float* v = qkv + r * ld + static_cast<size_t>(slot) * head_dim;  // q, k and v heads follow each other
  const size_t kv_width = static_cast<size_t>(kv_heads) * head_dim;
  const int position = positions[r];
  if (slot >= heads + kv_heads) {  // a value head
    bf16* to = values + position * kv_width + static_cast<size_t>(slot - heads - kv_heads) * head_dim;
    to[pair] = __float2bfloat16(v[pair]);
    to[pair + half] = __float2bfloat16(v[pair + half]);
    return;
  }
  const int rotary_half = rotary_dim / 2;
  int first, second;  // the two values this thread writes
  float y1, y2;
  if (pair < rotary_half) {
    first = pair, second = pair + rotary_half;
    // Same formula as the CPU twin: inv_freq = 1 / theta^(2i / rotary_dim), angle in FP32.
    const float inv_freq = 1.0f / powf(theta, static_cast<float>(2 * pair) / rotary_dim);
    float sin_a, cos_a;
    sincosf(static_cast<float>(position) * inv_freq, &sin_a, &cos_a);
    const float x1 = v[first], x2 = v[second];
    y1 = x1 * cos_a - x2 * sin_a, y2 = x2 * cos_a + x1 * sin_a;
  } else {  // the unrotated tail, (head_dim − rotary_dim) / 2 pairs of it
    first = rotary_dim + (pair - rotary_half), second = first + (head_dim - rotary_dim) / 2;
    y1 = v[first], y2 = v[second];
  }
  if (slot < heads) {
    v[first] = y1;
    v[second] = y2;
  } else {
    bf16* to = keys + position * kv_width + static_cast<size_t>(slot - heads) * head_dim;
    to[first] = __float2bfloat16(y1);
    to[second] = __float2bfloat16(y2);
  }
}

__global__ void silu_mul_kernel(const float* gate, const float* up, int ld, bf16* out, int rows, int cols) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<size_t>(rows) * cols) return;
  const size_t at = (i / cols) * ld + i % cols;
  const float g = gate[at];
  out[i] = __float2bfloat16(g / (1.0f + expf(-g)) * up[at]);
}

__global__ void guide_kernel(float* conditional, const float* unconditional, float scale, size_t n) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) conditional[i] = unconditional[i] + (scale + 1.0f) * (conditional[i] - unconditional[i]);
}

__global__ void suppress_kernel(float* logits, int vocab, const int32_t* rows, const int32_t* tokens, int count) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < count) logits[static_cast<size_t>(rows[i]) * vocab + tokens[i]] = -INFINITY;
}

__global__ void add_bias_kernel(float* y, const float* bias, int m, int n) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < static_cast<size_t>(m) * n) y[i] += bias[i % n];
}

template <typename T>
__global__ void gather_rows_kernel(const T* x, const int32_t* rows, T* out, int count, int dim) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<size_t>(count) * dim) return;
  out[i] = x[static_cast<size_t>(rows[i / dim]) * dim + i % dim];
}

__global__ void random_normal_kernel(bf16* out, size_t n, float std, uint64_t seed) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const uint64_t bits = mix64(seed ^ mix64(i));
  const float u1 = (static_cast<float>(bits >> 40) + 0.5f) * (1.0f / 16777216.0f);
  const float u2 = (static_cast<float>((bits >> 16) & 0xFFFFFF) + 0.5f) * (1.0f / 16777216.0f);
  out[i] = __float2bfloat16(std * sqrtf(-2.0f * logf(u1)) * cospif(2.0f * u2));  // Box–Muller
}

__global__ void fill_kernel(float* out, size_t n, float value) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = value;
}

}  // namespace

void embed_rows(const bf16* embed, const int32_t* tokens, float* x, int rows, int dim, cudaStream_t stream) {
  const size_t n = static_cast<size_t>(rows) * dim;
  if (n == 0) return;
  embed_kernel<<<blocks_for(n, THREADS), THREADS, 0, stream>>>(embed, tokens, x, rows, dim);
  check_launch("embed");
}

void rms_norm(const float* x, int ldx, const float* weight, bf16* y, int rows, int dim, float eps, cudaStream_t stream) {
  if (rows == 0) return;
  rms_norm_kernel<<<rows, THREADS, 0, stream>>>(x, ldx, weight, y, dim, eps);
  check_launch("rms_norm");
}

void rope(float* x, int ldx, const int32_t* positions, int rows, int heads, int head_dim, int rotary_dim, float theta,
          cudaStream_t stream) {
  const size_t n = static_cast<size_t>(rows) * heads * (rotary_dim / 2);
  if (n == 0) return;
  rope_kernel<<<blocks_for(n, THREADS), THREADS, 0, stream>>>(x, ldx, positions, rows, heads, head_dim, rotary_dim,
                                                               theta);
  check_launch("rope");
}

void rope_store(float* qkv, int ld, const int32_t* positions, int rows, int heads, int kv_heads, int head_dim,
                int rotary_dim, float theta, bf16* keys, bf16* values, cudaStream_t stream) {
  const size_t n = static_cast<size_t>(rows) * (heads + 2 * kv_heads) * (head_dim / 2);
  if (n == 0) return;
  rope_store_kernel<<<blocks_for(n, THREADS), THREADS, 0, stream>>>(qkv, ld, positions, rows, heads, kv_heads, head_dim,
                                                                     rotary_dim, theta, keys, values);
  check_launch("rope_store");
}

void silu_mul(const float* gate, const float* up, int ld, bf16* out, int rows, int cols, cudaStream_t stream) {
  const size_t n = static_cast<size_t>(rows) * cols;
  if (n == 0) return;
  silu_mul_kernel<<<blocks_for(n, THREADS), THREADS, 0, stream>>>(gate, up, ld, out, rows, cols);
  check_launch("silu_mul");
}

void guide(float* conditional, const float* unconditional, float scale, size_t n, cudaStream_t stream) {
  if (n == 0) return;
  guide_kernel<<<blocks_for(n, THREADS), THREADS, 0, stream>>>(conditional, unconditional, scale, n);
  check_launch("guide");
}

void suppress(float* logits, int vocab, const int32_t* rows, const int32_t* tokens, int count, cudaStream_t stream) {
  if (count == 0) return;
  suppress_kernel<<<blocks_for(count, THREADS), THREADS, 0, stream>>>(logits, vocab, rows, tokens, count);
  check_launch("suppress");
}

void add_bias(float* y, const float* bias, int m, int n, cudaStream_t stream) {
  const size_t count = static_cast<size_t>(m) * n;
  if (count == 0) return;
  add_bias_kernel<<<blocks_for(count, THREADS), THREADS, 0, stream>>>(y, bias, m, n);
  check_launch("add_bias");
}

template <typename T>
static void launch_gather_rows(const T* x, const int32_t* rows, T* out, int count, int dim, cudaStream_t stream) {
  const size_t n = static_cast<size_t>(count) * dim;
  if (n == 0) return;
  gather_rows_kernel<T><<<blocks_for(n, THREADS), THREADS, 0, stream>>>(x, rows, out, count, dim);
  check_launch("gather_rows");
}

void gather_rows(const float* x, const int32_t* rows, float* out, int count, int dim, cudaStream_t stream) {
  launch_gather_rows(x, rows, out, count, dim, stream);
}

void gather_rows(const bf16* x, const int32_t* rows, bf16* out, int count, int dim, cudaStream_t stream) {
  launch_gather_rows(x, rows, out, count, dim, stream);
}

void random_normal(bf16* out, size_t n, float std, uint64_t seed, cudaStream_t stream) {
  if (n == 0) return;
  random_normal_kernel<<<blocks_for(n, THREADS), THREADS, 0, stream>>>(out, n, std, seed);
  check_launch("random_normal");
}

void fill(float* out, size_t n, float value, cudaStream_t stream) {
  if (n == 0) return;
  fill_kernel<<<blocks_for(n, THREADS), THREADS, 0, stream>>>(out, n, value);
  check_launch("fill");
}

}  // namespace anneal::cuda
