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

#include <stdexcept>
#include <string>

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

// KT = head_dim / 16: the head dim as a compile-time count of 16-wide slices, so fragments stay in
// registers and the loops over them unroll.
template <int KT>
__global__ void __launch_bounds__(WARPS * 32)
    attention_wmma_kernel(const float* q, int ldq, const bf16* keys, const bf16* values, bf16* out, float* partial,
                          int rows, int length, int heads, int kv_heads, float scale, int chunk) {
  constexpr int HEAD_DIM = 16 * KT, QK_STRIDE = HEAD_DIM + 8, O_STRIDE = HEAD_DIM + 4;
  extern __shared__ __align__(128) unsigned char shared[];
  const Layout at = layout_for(HEAD_DIM);
  bf16* qs = reinterpret_cast<bf16*>(shared + at.q);
  bf16* ks = reinterpret_cast<bf16*>(shared + at.k);
  bf16* vs = reinterpret_cast<bf16*>(shared + at.v);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float* ss = reinterpret_cast<float*>(shared + at.s) + warp * 16 * S_STRIDE;  // this warp's rows
  bf16* ps = reinterpret_cast<bf16*>(shared + at.p) + warp * 16 * P_STRIDE;
  float* os = reinterpret_cast<float*>(shared + at.o) + warp * 16 * O_STRIDE;

  const int h = blockIdx.y, kv_head = h / (heads / kv_heads);
  const int row0 = blockIdx.x * BLOCK_ROWS;
  const size_t kd = static_cast<size_t>(kv_heads) * HEAD_DIM;
  const int key_begin = blockIdx.z * chunk, key_end = min(length, key_begin + chunk);

  // Q rows in BF16, pre-scaled by 1/√d; zero rows past the end. The output rows start at zero. A
  // compile-time trip count lets every thread's loads be in flight at once (a loop that waits for
  // each load in turn cost more than the whole attention).
  constexpr int Q_VECTORS = BLOCK_ROWS * HEAD_DIM / 4, THREADS = WARPS * 32;
#pragma unroll
  for (int step = 0; step < Q_VECTORS / THREADS; ++step) {
    const int v = step * THREADS + threadIdx.x, r = v / (HEAD_DIM / 4), d = (v % (HEAD_DIM / 4)) * 4;
    float4 value = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    if (row0 + r < rows) value = *reinterpret_cast<const float4*>(q + static_cast<size_t>(row0 + r) * ldq + h * HEAD_DIM + d);
    __nv_bfloat162* to = reinterpret_cast<__nv_bfloat162*>(qs + r * QK_STRIDE + d);
    to[0] = __floats2bfloat162_rn(value.x * scale, value.y * scale);
    to[1] = __floats2bfloat162_rn(value.z * scale, value.w * scale);
  }
#pragma unroll 4
  for (int i = lane; i < 16 * O_STRIDE; i += 32) os[i] = 0.0f;
  __syncthreads();

  // This warp's Q slices stay in registers for every key tile (up to head dim 128).
  constexpr int Q_IN_REGISTERS = KT <= 8 ? KT : 1;
  wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> qf[Q_IN_REGISTERS];
  if constexpr (KT <= 8) {
#pragma unroll
    for (int kk = 0; kk < KT; ++kk) wmma::load_matrix_sync(qf[kk], qs + warp * 16 * QK_STRIDE + kk * 16, QK_STRIDE);
  }

  // Lanes 2r and 2r + 1 share row r of this warp's 16: each takes half of a tile's keys.
  const int my_row = lane / 2, my_half = lane % 2;
  float running_max = -INFINITY, running_sum = 0.0f;
  const bool warp_has_rows = row0 + warp * 16 < rows;
  constexpr int CHUNKS_PER_ROW = HEAD_DIM / 8;

  for (int k0 = key_begin; k0 < key_end; k0 += BLOCK_KEYS) {
    __syncthreads();  // the previous tile is consumed
    const int tile_keys = min(BLOCK_KEYS, key_end - k0);
#pragma unroll
    for (int step = 0; step < BLOCK_KEYS * CHUNKS_PER_ROW / THREADS; ++step) {
      const int i = step * THREADS + threadIdx.x;
      const int j = i / CHUNKS_PER_ROW, c = (i % CHUNKS_PER_ROW) * 8;
      bf16* k_dst = ks + j * QK_STRIDE + c;
      bf16* v_dst = vs + j * QK_STRIDE + c;
      if (j < tile_keys) {
        const size_t from = (k0 + j) * kd + kv_head * HEAD_DIM + c;
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

    // S = Q · Kᵀ for this warp's 16 rows and the tile's 64 keys: four independent accumulators.
    {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> score[BLOCK_KEYS / 16];
#pragma unroll
      for (int n = 0; n < BLOCK_KEYS / 16; ++n) wmma::fill_fragment(score[n], 0.0f);
#pragma unroll
      for (int kk = 0; kk < KT; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
        if constexpr (KT > 8) wmma::load_matrix_sync(a, qs + warp * 16 * QK_STRIDE + kk * 16, QK_STRIDE);
#pragma unroll
        for (int n = 0; n < BLOCK_KEYS / 16; ++n) {
          wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> b;
          wmma::load_matrix_sync(b, ks + n * 16 * QK_STRIDE + kk * 16, QK_STRIDE);
          if constexpr (KT <= 8) {
            wmma::mma_sync(score[n], qf[kk], b, score[n]);
          } else {
            wmma::mma_sync(score[n], a, b, score[n]);
          }
        }
      }
#pragma unroll
      for (int n = 0; n < BLOCK_KEYS / 16; ++n) wmma::store_matrix_sync(ss + n * 16, score[n], S_STRIDE, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax over this row's half of the tile; P in BF16; the output row rescaled.
    const float* s_row = ss + my_row * S_STRIDE + my_half * 32;
    const int valid = min(32, max(0, key_end - (k0 + my_half * 32)));
    float values_in_row[32];
    float tile_max = -INFINITY;
#pragma unroll
    for (int j = 0; j < 32; ++j) {
      values_in_row[j] = j < valid ? s_row[j] : -INFINITY;
      tile_max = fmaxf(tile_max, values_in_row[j]);
    }
    tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
    const float new_max = fmaxf(running_max, tile_max);
    const float correction = __expf(running_max - new_max);  // 0 on the first tile
    float tile_sum = 0.0f;
    __nv_bfloat162* p_row = reinterpret_cast<__nv_bfloat162*>(ps + my_row * P_STRIDE + my_half * 32);
#pragma unroll
    for (int j = 0; j < 32; j += 2) {
      const float p0 = __expf(values_in_row[j] - new_max), p1 = __expf(values_in_row[j + 1] - new_max);
      tile_sum += p0 + p1;
      p_row[j / 2] = __floats2bfloat162_rn(p0, p1);
    }
    tile_sum += __shfl_xor_sync(0xffffffffu, tile_sum, 1);
    running_sum = running_sum * correction + tile_sum;
    running_max = new_max;
    float4* o_row = reinterpret_cast<float4*>(os + my_row * O_STRIDE + my_half * (HEAD_DIM / 2));
#pragma unroll
    for (int d = 0; d < HEAD_DIM / 8; ++d) {
      float4 v = o_row[d];
      v.x *= correction;
      v.y *= correction;
      v.z *= correction;
      v.w *= correction;
      o_row[d] = v;
    }
    __syncwarp();

    // O += P · V straight into the output rows in shared memory, up to eight slices at a time.
#pragma unroll
    for (int n0 = 0; n0 < KT; n0 += 8) {
      constexpr int WIDTH = KT < 8 ? KT : 8;
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[WIDTH];
#pragma unroll
      for (int n = 0; n < WIDTH; ++n) {
        if (n0 + n < KT) wmma::load_matrix_sync(acc[n], os + (n0 + n) * 16, O_STRIDE, wmma::mem_row_major);
      }
#pragma unroll
      for (int kk = 0; kk < BLOCK_KEYS; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
        wmma::load_matrix_sync(a, ps + kk, P_STRIDE);
#pragma unroll
        for (int n = 0; n < WIDTH; ++n) {
          if (n0 + n >= KT) continue;
          wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> b;
          wmma::load_matrix_sync(b, vs + kk * QK_STRIDE + (n0 + n) * 16, QK_STRIDE);
          wmma::mma_sync(acc[n], a, b, acc[n]);
        }
      }
#pragma unroll
      for (int n = 0; n < WIDTH; ++n) {
        if (n0 + n < KT) wmma::store_matrix_sync(os + (n0 + n) * 16, acc[n], O_STRIDE, wmma::mem_row_major);
      }
    }
    __syncwarp();
  }

  // Each lane pair writes its row: normalised in BF16, or this key range's partial softmax.
  const int row = row0 + warp * 16 + my_row;
  if (row >= rows) return;
  const float* o_row = os + my_row * O_STRIDE;
  if (gridDim.z > 1) {
    float* p = partial + ((static_cast<size_t>(blockIdx.z) * rows + row) * heads + h) * (HEAD_DIM + 2);
    if (my_half == 0) {
      p[0] = running_max;
      p[1] = running_sum;
    }
    for (int d = my_half * (HEAD_DIM / 2); d < (my_half + 1) * (HEAD_DIM / 2); ++d) p[2 + d] = o_row[d];
    return;
  }
  const float inv = 1.0f / running_sum;
  bf16* o = out + static_cast<size_t>(row) * heads * HEAD_DIM + h * HEAD_DIM;
  for (int d = my_half * (HEAD_DIM / 2); d < (my_half + 1) * (HEAD_DIM / 2); ++d) o[d] = __float2bfloat16(o_row[d] * inv);
}

template <int KT>
void launch_for(dim3 grid, cudaStream_t stream, const float* q, int ldq, const bf16* keys, const bf16* values, bf16* out,
                float* partial, int rows, int length, int heads, int kv_heads, int chunk) {
  const size_t bytes = layout_for(16 * KT).total;
  static const cudaError_t raised =
      cudaFuncSetAttribute(attention_wmma_kernel<KT>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
  check(raised, "attention shared memory");
  attention_wmma_kernel<KT><<<grid, WARPS * 32, bytes, stream>>>(q, ldq, keys, values, out, partial, rows, length, heads,
                                                                 kv_heads, 1.0f / sqrtf(16.0f * KT), chunk);
}

}  // namespace

// Head dims with a compiled tensor-core kernel: 16–128 in steps of 16, 160, 192 and 256.
bool attention_wmma_supports(int head_dim) {
  if (head_dim % 16 != 0) return false;
  const int kt = head_dim / 16;
  return (kt >= 1 && kt <= 8) || kt == 10 || kt == 12 || kt == 16;
}

int attention_wmma_rows_per_block() { return BLOCK_ROWS; }

void launch_attention_wmma(const float* q, int ldq, const bf16* keys, const bf16* values, bf16* out, float* partial,
                           int rows, int length, int heads, int kv_heads, int head_dim, int chunk, int splits,
                           cudaStream_t stream) {
  const dim3 grid((rows + BLOCK_ROWS - 1) / BLOCK_ROWS, heads, splits);
  switch (head_dim / 16) {
#define ANNEAL_ATTENTION_CASE(KT)                                                                               \
  case KT:                                                                                                      \
    launch_for<KT>(grid, stream, q, ldq, keys, values, out, partial, rows, length, heads, kv_heads, chunk);     \
    break;
    ANNEAL_ATTENTION_CASE(1) ANNEAL_ATTENTION_CASE(2) ANNEAL_ATTENTION_CASE(3) ANNEAL_ATTENTION_CASE(4)
    ANNEAL_ATTENTION_CASE(5) ANNEAL_ATTENTION_CASE(6) ANNEAL_ATTENTION_CASE(7) ANNEAL_ATTENTION_CASE(8)
    ANNEAL_ATTENTION_CASE(10) ANNEAL_ATTENTION_CASE(12) ANNEAL_ATTENTION_CASE(16)
#undef ANNEAL_ATTENTION_CASE
    default:
      throw std::invalid_argument("CUDA attention: no tensor-core kernel for head dim " + std::to_string(head_dim));
  }
  check_launch("attention (tensor cores)");
}

}  // namespace anneal::cuda
