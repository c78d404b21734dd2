// Flash-style bidirectional attention with grouped-query heads: a block takes 16 query rows of one
// head, streams the keys and values through shared memory 32 at a time, and keeps a running max and
// sum per row (the online softmax), so the [rows × length] scores never exist in memory.
//
// With few query rows (a 32-token block) rows × heads gives fewer blocks than SMs, so the keys are
// split too (flash-decoding): each block takes one key range and writes its partial softmax (max,
// sum, unnormalised output) to scratch, and a second kernel merges the ranges.
//
// Inside a block each warp owns 4 rows. Per key tile, lane j scores key j against the row; the
// warp reduces max and sum with shuffles; then every lane accumulates its own pairs of output dims
// over the tile's 32 keys, with each probability broadcast from the lane that computed it.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "attention.cuh"
#include "ops.cuh"

namespace anneal::cuda {

namespace {

constexpr int ROWS = 16;      // query rows per block
constexpr int WARPS = 4;      // so 4 rows per warp
constexpr int ROWS_PER_WARP = ROWS / WARPS;
constexpr int KEYS = 32;      // keys per tile: one per lane
constexpr int MAX_PAIRS = 4;  // head_dim ≤ 256: lane owns dim pairs lane, lane + 32, lane + 64, lane + 96
constexpr unsigned FULL = 0xffffffffu;

__device__ float warp_max(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(FULL, v, offset));
  return v;
}
__device__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(FULL, v, offset);
  return v;
}

__global__ void __launch_bounds__(WARPS * 32)
    attention_kernel(const float* q, int ldq, const bf16* keys, const bf16* values, bf16* out, float* partial, int rows,
                     int length, int heads, int kv_heads, int head_dim, float scale, int chunk) {
  extern __shared__ unsigned char shared[];
  const int pairs = head_dim / 2;
  const int stride = head_dim + 2;  // BF16 per K/V row in shared memory; the pad spreads rows over banks
  float* qs = reinterpret_cast<float*>(shared);        // [ROWS][head_dim], pre-scaled by 1/√d
  bf16* ks = reinterpret_cast<bf16*>(qs + ROWS * head_dim);  // [KEYS][stride]
  bf16* vs = ks + KEYS * stride;
  const int h = blockIdx.y, kv_head = h / (heads / kv_heads);
  const int row0 = blockIdx.x * ROWS;
  const size_t qd = static_cast<size_t>(heads) * head_dim, kd = static_cast<size_t>(kv_heads) * head_dim;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;

#pragma unroll 8
  for (int i = threadIdx.x; i < ROWS * head_dim; i += WARPS * 32) {  // unrolled: loads in flight together
    const int r = i / head_dim, d = i % head_dim;
    qs[i] = row0 + r < rows ? q[static_cast<size_t>(row0 + r) * ldq + h * head_dim + d] * scale : 0.0f;
  }
  float running_max[ROWS_PER_WARP], running_sum[ROWS_PER_WARP], acc[ROWS_PER_WARP][2 * MAX_PAIRS];
#pragma unroll
  for (int i = 0; i < ROWS_PER_WARP; ++i) {
    running_max[i] = -INFINITY;
    running_sum[i] = 0;
    for (int c = 0; c < 2 * MAX_PAIRS; ++c) acc[i][c] = 0;
  }

  const int key_begin = blockIdx.z * chunk, key_end = min(length, key_begin + chunk);
  for (int k0 = key_begin; k0 < key_end; k0 += KEYS) {
    __syncthreads();  // the previous tile is consumed (and qs is written, the first time)
    const __nv_bfloat162 zero = __floats2bfloat162_rn(0.0f, 0.0f);
#pragma unroll 8
    for (int i = threadIdx.x; i < KEYS * pairs; i += WARPS * 32) {
      const int j = i / pairs, p = i % pairs;
      __nv_bfloat162 k = zero, v = zero;
      if (k0 + j < length) {
        const size_t at = (k0 + j) * kd + kv_head * head_dim;
        k = reinterpret_cast<const __nv_bfloat162*>(keys + at)[p];
        v = reinterpret_cast<const __nv_bfloat162*>(values + at)[p];
      }
      reinterpret_cast<__nv_bfloat162*>(ks + j * stride)[p] = k;
      reinterpret_cast<__nv_bfloat162*>(vs + j * stride)[p] = v;
    }
    __syncthreads();
    const bool valid = k0 + lane < key_end;
    const int tile_keys = min(KEYS, key_end - k0);
#pragma unroll
    for (int i = 0; i < ROWS_PER_WARP; ++i) {  // unrolled, so acc stays in registers
      const int r = warp * ROWS_PER_WARP + i;
      if (row0 + r >= rows) continue;  // the same for the whole warp
      const float* qr = qs + r * head_dim;
      const __nv_bfloat162* kr = reinterpret_cast<const __nv_bfloat162*>(ks + lane * stride);
      float score = 0;
      for (int p = 0; p < pairs; ++p) {
        const float2 k = __bfloat1622float2(kr[p]);
        score += qr[2 * p] * k.x + qr[2 * p + 1] * k.y;
      }
      score = valid ? score : -INFINITY;
      const float new_max = fmaxf(running_max[i], warp_max(score));
      const float correction = expf(running_max[i] - new_max);  // 0 on the first tile
      const float p = valid ? expf(score - new_max) : 0.0f;
      running_sum[i] = running_sum[i] * correction + warp_sum(p);
      running_max[i] = new_max;
#pragma unroll
      for (int c = 0; c < 2 * MAX_PAIRS; ++c) acc[i][c] *= correction;
      for (int j = 0; j < tile_keys; ++j) {
        const float pj = __shfl_sync(FULL, p, j);
        const __nv_bfloat162* vr = reinterpret_cast<const __nv_bfloat162*>(vs + j * stride);
#pragma unroll
        for (int c = 0; c < MAX_PAIRS; ++c) {
          const int pair = lane + 32 * c;
          if (pair < pairs) {
            const float2 v = __bfloat1622float2(vr[pair]);
            acc[i][2 * c] += pj * v.x;
            acc[i][2 * c + 1] += pj * v.y;
          }
        }
      }
    }
  }

#pragma unroll
  for (int i = 0; i < ROWS_PER_WARP; ++i) {
    const int r = warp * ROWS_PER_WARP + i;
    if (row0 + r >= rows) continue;
    if (gridDim.z > 1) {  // one key range of several: its partial softmax, merged by merge_kernel
      float* p = partial + ((static_cast<size_t>(blockIdx.z) * rows + row0 + r) * heads + h) * (head_dim + 2);
      if (lane == 0) {
        p[0] = running_max[i];
        p[1] = running_sum[i];
      }
#pragma unroll
      for (int c = 0; c < MAX_PAIRS; ++c) {
        const int pair = lane + 32 * c;
        if (pair < pairs) {
          p[2 + 2 * pair] = acc[i][2 * c];
          p[3 + 2 * pair] = acc[i][2 * c + 1];
        }
      }
      continue;
    }
    const float inv = 1.0f / running_sum[i];
    __nv_bfloat162* o = reinterpret_cast<__nv_bfloat162*>(out + (row0 + r) * qd + h * head_dim);
#pragma unroll
    for (int c = 0; c < MAX_PAIRS; ++c) {
      const int pair = lane + 32 * c;
      if (pair < pairs) o[pair] = __floats2bfloat162_rn(acc[i][2 * c] * inv, acc[i][2 * c + 1] * inv);
    }
  }
}

// One block per (row, head): rescales each key range's partial sums to the common max and divides.
constexpr int MAX_SPLITS = 64;
__global__ void merge_kernel(const float* partial, bf16* out, int rows, int heads, int head_dim, int splits) {
  __shared__ float weight[MAX_SPLITS];
  __shared__ float inverse_total;
  const int row = blockIdx.x, h = blockIdx.y;
  const size_t stride = static_cast<size_t>(rows) * heads * (head_dim + 2);
  const float* first = partial + (static_cast<size_t>(row) * heads + h) * (head_dim + 2);
  if (threadIdx.x < 32) {  // one warp: the common max, each range's weight e^(max_s − max), the total
    float range_max = -INFINITY;
    for (int s = threadIdx.x; s < splits; s += 32) range_max = fmaxf(range_max, first[s * stride]);
    float max_all = range_max;
    for (int offset = 16; offset > 0; offset /= 2) max_all = fmaxf(max_all, __shfl_xor_sync(0xffffffffu, max_all, offset));
    float total = 0;
    for (int s = threadIdx.x; s < splits; s += 32) {
      weight[s] = expf(first[s * stride] - max_all);
      total += first[s * stride + 1] * weight[s];
    }
    for (int offset = 16; offset > 0; offset /= 2) total += __shfl_xor_sync(0xffffffffu, total, offset);
    if (threadIdx.x == 0) inverse_total = 1.0f / total;
  }
  __syncthreads();
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
    float value = 0;
#pragma unroll 8
    for (int s = 0; s < splits; ++s) value += first[s * stride + 2 + d] * weight[s];
    out[static_cast<size_t>(row) * heads * head_dim + h * head_dim + d] = __float2bfloat16(value * inverse_total);
  }
}

int key_chunk(int length, int splits, int tile) { return (((length + splits - 1) / splits + tile - 1) / tile) * tile; }

bool use_tensor_cores(AttentionKernel kernel, int head_dim) {
  return kernel != AttentionKernel::Scalar && attention_wmma_supports(head_dim);
}

}  // namespace

int attention_splits(int rows, int length, int heads, int head_dim, int multiprocessors, AttentionKernel kernel) {
  const bool tensor_cores = use_tensor_cores(kernel, head_dim);
  const int rows_per_block = tensor_cores ? attention_wmma_rows_per_block() : ROWS;
  const int tile = tensor_cores ? 64 : KEYS;
  const int blocks = (rows + rows_per_block - 1) / rows_per_block * heads;
  if (blocks >= multiprocessors || length <= 2 * tile) return 1;
  // About two blocks per SM, each still streaming at least two key tiles.
  const int wanted = std::min({(2 * multiprocessors + blocks - 1) / blocks, (length + 2 * tile - 1) / (2 * tile), MAX_SPLITS});
  const int chunk = key_chunk(length, std::max(wanted, 1), tile);
  return (length + chunk - 1) / chunk;
}

size_t attention_scratch_floats(int rows, int heads, int head_dim, int splits) {
  return splits > 1 ? static_cast<size_t>(splits) * rows * heads * (head_dim + 2) : 0;
}

void attention(const float* q, int ldq, const bf16* keys, const bf16* values, bf16* out, int rows, int length,
               int heads, int kv_heads, int head_dim, cudaStream_t stream, int splits, float* scratch,
               AttentionKernel kernel) {
  if (head_dim > 2 * 32 * MAX_PAIRS || head_dim % 2 != 0) {
    throw std::invalid_argument("CUDA attention: head dim must be even and at most 256 (got " + std::to_string(head_dim) + ")");
  }
  if (rows == 0 || length == 0) return;
  const bool tensor_cores = use_tensor_cores(kernel, head_dim);
  splits = std::max(1, splits);
  const int chunk = key_chunk(length, splits, tensor_cores ? 64 : KEYS);
  splits = (length + chunk - 1) / chunk;  // every range holds at least one key
  if (splits > MAX_SPLITS) throw std::invalid_argument("CUDA attention: at most 64 key splits");
  if (splits > 1 && !scratch) throw std::invalid_argument("CUDA attention: split keys need scratch memory");
  if (tensor_cores) {
    launch_attention_wmma(q, ldq, keys, values, out, scratch, rows, length, heads, kv_heads, head_dim, chunk, splits,
                          stream);
  } else {
    const size_t bytes = ROWS * head_dim * sizeof(float) + 2 * KEYS * (head_dim + 2) * sizeof(bf16);
    if (bytes > 48 * 1024) {
      check(cudaFuncSetAttribute(attention_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)),
            "attention shared memory");
    }
    const dim3 grid((rows + ROWS - 1) / ROWS, heads, splits);
    attention_kernel<<<grid, WARPS * 32, bytes, stream>>>(q, ldq, keys, values, out, scratch, rows, length, heads,
                                                           kv_heads, head_dim, 1.0f / sqrtf(static_cast<float>(head_dim)),
                                                           chunk);
    check_launch("attention");
  }
  if (splits > 1) {
    merge_kernel<<<dim3(rows, heads), 64, 0, stream>>>(scratch, out, rows, heads, head_dim, splits);
    check_launch("attention merge");
  }
}

}  // namespace anneal::cuda
