// Flash attention on the tensor cores (WMMA, BF16 in, FP32 accumulate) for head dims that are
// multiples of 16: a block takes 64 query rows of one head (16 per warp) and streams the keys and
// values through shared memory 64 at a time. Per key tile each warp computes its 16 × 64 scores
// S = Q·Kᵀ with WMMA, updates the online softmax (two lanes per row), writes P in BF16 and adds
// P·V into its output rows, which live in shared memory in FP32 so that the softmax correction can
// rescale them row by row (WMMA accumulators cannot be addressed by row).
//
// attention.cu's scalar kernel is the simple path beside this one (any even head dim); the checks
// hold both to the CPU engine. Key splits and their partial softmaxes work as there.
#include <cuda_pipeline.h>
#include <mma.h>

#include "attention.cuh"

namespace anneal::cuda {

namespace {

using namespace nvcuda;

constexpr int WARPS = 4;
constexpr int BLOCK_ROWS = 16 * WARPS;
constexpr int BLOCK_KEYS = 64;
constexpr int S_STRIDE = BLOCK_KEYS + 4;  // floats per score row
constexpr int P_STRIDE = BLOCK_KEYS + 8;  // BF16 per probability row

struct Layout {  // byte offsets into the block's shared memory
  size_t q, k, v, s, p, o, total;
};
__host__ __device__ Layout layout_for(int head_dim) {
  const size_t qkv_row = static_cast<size_t>(head_dim + 8) * sizeof(bf16);
  Layout l;
  l.q = 0;
  l.k = l.q + BLOCK_ROWS * qkv_row;
  l.v = l.k + BLOCK_KEYS * qkv_row;
  l.s = l.v + BLOCK_KEYS * qkv_row;
  l.p = l.s + static_cast<size_t>(BLOCK_ROWS) * S_STRIDE * sizeof(float);
  l.o = l.p + static_cast<size_t>(BLOCK_ROWS) * P_STRIDE * sizeof(bf16);
  l.total = l.o + static_cast<size_t>(BLOCK_ROWS) * (head_dim + 4) * sizeof(float);
  return l;
}

__global__ void __launch_bounds__(WARPS * 32)
    attention_wmma_kernel(const float* q, int ldq, const bf16* keys, const bf16* values, bf16* out, float* partial,
                          int rows, int length, int heads, int kv_heads, int head_dim, float scale, int chunk) {
  extern __shared__ __align__(128) unsigned char shared[];
  const Layout at = layout_for(head_dim);
  const int qk_stride = head_dim + 8, o_stride = head_dim + 4;
  bf16* qs = reinterpret_cast<bf16*>(shared + at.q);
  bf16* ks = reinterpret_cast<bf16*>(shared + at.k);
  bf16* vs = reinterpret_cast<bf16*>(shared + at.v);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float* ss = reinterpret_cast<float*>(shared + at.s) + warp * 16 * S_STRIDE;  // this warp's rows
  bf16* ps = reinterpret_cast<bf16*>(shared + at.p) + warp * 16 * P_STRIDE;
  float* os = reinterpret_cast<float*>(shared + at.o) + warp * 16 * o_stride;

  const int h = blockIdx.y, kv_head = h / (heads / kv_heads);
  const int row0 = blockIdx.x * BLOCK_ROWS;
  const size_t kd = static_cast<size_t>(kv_heads) * head_dim;
  const int key_begin = blockIdx.z * chunk, key_end = min(length, key_begin + chunk);

  // Q rows in BF16, pre-scaled by 1/√d; zero rows past the end. The output rows start at zero.
  for (int i = threadIdx.x; i < BLOCK_ROWS * head_dim; i += blockDim.x) {
    const int r = i / head_dim, d = i % head_dim;
    const float value = row0 + r < rows ? q[static_cast<size_t>(row0 + r) * ldq + h * head_dim + d] * scale : 0.0f;
    qs[r * qk_stride + d] = __float2bfloat16(value);
  }
  for (int i = lane; i < 16 * o_stride; i += 32) os[i] = 0.0f;

  // Lanes 2r and 2r + 1 share row r of this warp's 16: each takes half of a tile's keys.
  const int my_row = lane / 2, my_half = lane % 2;
  float running_max = -INFINITY, running_sum = 0.0f;
  const bool warp_has_rows = row0 + warp * 16 < rows;

  for (int k0 = key_begin; k0 < key_end; k0 += BLOCK_KEYS) {
    __syncthreads();  // the previous tile is consumed (and Q is written, the first time)
    const int tile_keys = min(BLOCK_KEYS, key_end - k0), chunks_per_row = head_dim / 8;
    for (int i = threadIdx.x; i < BLOCK_KEYS * chunks_per_row; i += blockDim.x) {
      const int j = i / chunks_per_row, c = (i % chunks_per_row) * 8;
      bf16* k_dst = ks + j * qk_stride + c;
      bf16* v_dst = vs + j * qk_stride + c;
      if (j < tile_keys) {
        const size_t from = (k0 + j) * kd + kv_head * head_dim + c;
        __pipeline_memcpy_async(k_dst, keys + from, 16);
        __pipeline_memcpy_async(v_dst, values + from, 16);
      } else {
        *reinterpret_cast<uint4*>(k_dst) = make_uint4(0, 0, 0, 0);
        *reinterpret_cast<uint4*>(v_dst) = make_uint4(0, 0, 0, 0);
      }
    }
    __pipeline_commit();
    __pipeline_wait_prior(0);
    __syncthreads();
    if (!warp_has_rows) continue;  // whole warps only: the barriers above stay matched

    // S = Q · Kᵀ for this warp's 16 rows and the tile's 64 keys.
    for (int n = 0; n < BLOCK_KEYS / 16; ++n) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> score;
      wmma::fill_fragment(score, 0.0f);
      for (int kk = 0; kk < head_dim; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> b;
        wmma::load_matrix_sync(a, qs + warp * 16 * qk_stride + kk, qk_stride);
        wmma::load_matrix_sync(b, ks + n * 16 * qk_stride + kk, qk_stride);
        wmma::mma_sync(score, a, b, score);
      }
      wmma::store_matrix_sync(ss + n * 16, score, S_STRIDE, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax over this row's half of the tile; P in BF16; the output row rescaled.
    const float* s_row = ss + my_row * S_STRIDE + my_half * 32;
    float tile_max = -INFINITY;
    for (int j = 0; j < 32; ++j) {
      if (k0 + my_half * 32 + j < key_end) tile_max = fmaxf(tile_max, s_row[j]);
    }
    tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
    const float new_max = fmaxf(running_max, tile_max);
    const float correction = expf(running_max - new_max);  // 0 on the first tile
    float tile_sum = 0.0f;
    bf16* p_row = ps + my_row * P_STRIDE + my_half * 32;
    for (int j = 0; j < 32; ++j) {
      const float p = k0 + my_half * 32 + j < key_end ? expf(s_row[j] - new_max) : 0.0f;
      tile_sum += p;
      p_row[j] = __float2bfloat16(p);
    }
    tile_sum += __shfl_xor_sync(0xffffffffu, tile_sum, 1);
    running_sum = running_sum * correction + tile_sum;
    running_max = new_max;
    float* o_row = os + my_row * o_stride + my_half * (head_dim / 2);
    for (int d = 0; d < head_dim / 2; ++d) o_row[d] *= correction;
    __syncwarp();

    // O += P · V, accumulating straight into the output rows in shared memory.
    for (int n = 0; n < head_dim / 16; ++n) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::load_matrix_sync(acc, os + n * 16, o_stride, wmma::mem_row_major);
      for (int kk = 0; kk < BLOCK_KEYS; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> b;
        wmma::load_matrix_sync(a, ps + kk, P_STRIDE);
        wmma::load_matrix_sync(b, vs + kk * qk_stride + n * 16, qk_stride);
        wmma::mma_sync(acc, a, b, acc);
      }
      wmma::store_matrix_sync(os + n * 16, acc, o_stride, wmma::mem_row_major);
    }
    __syncwarp();
  }

  // Each lane pair writes its row: normalised in BF16, or this key range's partial softmax.
  const int row = row0 + warp * 16 + my_row;
  if (row >= rows) return;
  const float* o_row = os + my_row * o_stride;
  if (gridDim.z > 1) {
    float* p = partial + ((static_cast<size_t>(blockIdx.z) * rows + row) * heads + h) * (head_dim + 2);
    if (my_half == 0) {
      p[0] = running_max;
      p[1] = running_sum;
    }
    for (int d = my_half; d < head_dim; d += 2) p[2 + d] = o_row[d];
    return;
  }
  const float inv = 1.0f / running_sum;
  bf16* o = out + static_cast<size_t>(row) * heads * head_dim + h * head_dim;
  for (int d = my_half; d < head_dim; d += 2) o[d] = __float2bfloat16(o_row[d] * inv);
}

}  // namespace

bool attention_wmma_supports(int head_dim) { return head_dim % 16 == 0 && head_dim <= 256; }

int attention_wmma_rows_per_block() { return BLOCK_ROWS; }

void launch_attention_wmma(const float* q, int ldq, const bf16* keys, const bf16* values, bf16* out, float* partial,
                           int rows, int length, int heads, int kv_heads, int head_dim, int chunk, int splits,
                           cudaStream_t stream) {
  const size_t bytes = layout_for(head_dim).total;
  static const cudaError_t raised = cudaFuncSetAttribute(attention_wmma_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                         static_cast<int>(layout_for(256).total));
  check(raised, "attention shared memory");
  const dim3 grid((rows + BLOCK_ROWS - 1) / BLOCK_ROWS, heads, splits);
  attention_wmma_kernel<<<grid, WARPS * 32, bytes, stream>>>(q, ldq, keys, values, out, partial, rows, length, heads,
                                                              kv_heads, head_dim, 1.0f / sqrtf(static_cast<float>(head_dim)),
                                                              chunk);
  check_launch("attention (tensor cores)");
}

}  // namespace anneal::cuda
