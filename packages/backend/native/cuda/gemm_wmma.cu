// Our BF16 tensor-core GEMM (always built: the toolkit on our machines has no cuBLAS).
//
// A block computes a BM × BN tile of y with 4 warps, each a (BM/WARPS_M) × (BN/WARPS_N) patch of
// 16 × 16 WMMA fragments with FP32 accumulators. K streams through shared memory 64 at a time in two
// stages: cp.async copies the next tile while the tensor cores work on this one. w's tile is stored
// as rows of W, which is exactly B = Wᵀ in column-major order, so no transpose is needed.
//
// Decode-shaped products (m ≤ 32: the 32-token blocks of diffusion sampling) are bound by reading
// W once; a 4096-wide output gives only 64 column tiles for 132 SMs, so K is split across blocks
// too (split-K) and the partial products meet in y through atomic adds.
#include <cuda_pipeline.h>
#include <mma.h>

#include <algorithm>

#include "gemm.cuh"

namespace anneal::cuda {

namespace {

using namespace nvcuda;

constexpr int BK = 64;
constexpr int PAD = 8;  // BF16 per shared row beyond BK: keeps 16-byte alignment, spreads banks
constexpr int STAGES = 2;
constexpr int THREADS = 128;

// Copies rows [row0, row0 + ROWS) × columns [k0, k0 + BK) of a [limit][k] matrix into a shared tile,
// zeros outside the matrix and past k_end. VEC: 16-byte cp.async copies (k % 8 == 0 keeps every
// row 16-byte aligned); otherwise element by element.
template <int ROWS, bool VEC>
__device__ void load_tile(bf16 (*tile)[BK + PAD], const bf16* src, int row0, int limit, int k0, int k_end, int k) {
  if constexpr (VEC) {
    constexpr int CHUNKS = ROWS * BK / 8;
    for (int i = threadIdx.x; i < CHUNKS; i += THREADS) {
      const int r = i / (BK / 8), c = (i % (BK / 8)) * 8;
      if (row0 + r < limit && k0 + c < k_end) {
        __pipeline_memcpy_async(&tile[r][c], src + static_cast<size_t>(row0 + r) * k + k0 + c, 16);
      } else {
        *reinterpret_cast<uint4*>(&tile[r][c]) = make_uint4(0, 0, 0, 0);
      }
    }
  } else {
    for (int i = threadIdx.x; i < ROWS * BK; i += THREADS) {
      const int r = i / BK, c = i % BK;
      tile[r][c] = (row0 + r < limit && k0 + c < k_end) ? src[static_cast<size_t>(row0 + r) * k + k0 + c]
                                                         : __float2bfloat16(0.0f);
    }
  }
}

template <int BM, int BN, int WARPS_M, bool VEC>
__global__ void __launch_bounds__(THREADS)
    gemm_kernel(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate,
                int k_per_split, bool atomic) {
  constexpr int WARPS_N = 4 / WARPS_M, WM = BM / WARPS_M, WN = BN / WARPS_N, FM = WM / 16, FN = WN / 16;
  using XTile = bf16[BM][BK + PAD];
  using WTile = bf16[BN][BK + PAD];
  constexpr size_t TILE_BYTES = STAGES * (sizeof(XTile) + sizeof(WTile));
  constexpr size_t OUT_BYTES = sizeof(float) * BM * (BN + 4);
  // The staged tiles and, after the last product, the output patch share one buffer.
  __shared__ __align__(128) unsigned char shared[TILE_BYTES > OUT_BYTES ? TILE_BYTES : OUT_BYTES];
  XTile* xs = reinterpret_cast<XTile*>(shared);
  WTile* ws = reinterpret_cast<WTile*>(shared + STAGES * sizeof(XTile));
  float(*cs)[BN + 4] = reinterpret_cast<float(*)[BN + 4]>(shared);

  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int k_begin = blockIdx.z * k_per_split, k_end = min(k, k_begin + k_per_split);
  const int warp = threadIdx.x / 32, wr = warp / WARPS_N, wc = warp % WARPS_N;

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[FM][FN];
  for (int i = 0; i < FM; ++i)
    for (int j = 0; j < FN; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  const int tiles = k_end > k_begin ? (k_end - k_begin + BK - 1) / BK : 0;
  if (tiles > 0) {
    load_tile<BM, VEC>(xs[0], x, m0, m, k_begin, k_end, k);
    load_tile<BN, VEC>(ws[0], w, n0, n, k_begin, k_end, k);
  }
  __pipeline_commit();
  for (int t = 0; t < tiles; ++t) {
    const int stage = t % STAGES;
    if (t + 1 < tiles) {  // the next tile goes into the stage the previous iteration finished with
      const int next = (t + 1) % STAGES, k0 = k_begin + (t + 1) * BK;
      load_tile<BM, VEC>(xs[next], x, m0, m, k0, k_end, k);
      load_tile<BN, VEC>(ws[next], w, n0, n, k0, k_end, k);
    }
    __pipeline_commit();
    __pipeline_wait_prior(1);  // every copy but the one just started has landed
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a[FM];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> b[FN];
      for (int i = 0; i < FM; ++i) wmma::load_matrix_sync(a[i], &xs[stage][wr * WM + 16 * i][kk], BK + PAD);
      for (int j = 0; j < FN; ++j) wmma::load_matrix_sync(b[j], &ws[stage][wc * WN + 16 * j][kk], BK + PAD);
      for (int i = 0; i < FM; ++i)
        for (int j = 0; j < FN; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
    __syncthreads();  // this stage is read before the next iteration refills it
  }
  __pipeline_wait_prior(0);
  __syncthreads();

  for (int i = 0; i < FM; ++i)
    for (int j = 0; j < FN; ++j)
      wmma::store_matrix_sync(&cs[wr * WM + 16 * i][wc * WN + 16 * j], acc[i][j], BN + 4, wmma::mem_row_major);
  __syncthreads();
  for (int i = threadIdx.x; i < BM * BN; i += THREADS) {
    const int r = i / BN, c = i % BN;
    if (m0 + r >= m || n0 + c >= n) continue;
    const float value = cs[r][c] + (bias && blockIdx.z == 0 ? bias[n0 + c] : 0.0f);
    float* out = y + static_cast<size_t>(m0 + r) * n + n0 + c;
    if (atomic) {
      atomicAdd(out, value);
    } else {
      *out = accumulate ? *out + value : value;
    }
  }
}

template <int BM, int BN, int WARPS_M>
void launch(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate, int splits,
            cudaStream_t stream) {
  // Splits start on BK boundaries, so only the last one can end inside a tile.
  const int k_per_split = ((k + splits - 1) / splits + BK - 1) / BK * BK;
  splits = (k + k_per_split - 1) / k_per_split;
  const bool atomic = splits > 1;
  if (atomic && !accumulate) check(cudaMemsetAsync(y, 0, sizeof(float) * m * n, stream), "gemm: clear y");
  const dim3 grid((n + BN - 1) / BN, (m + BM - 1) / BM, splits);
  if (k % 8 == 0) {
    gemm_kernel<BM, BN, WARPS_M, true><<<grid, THREADS, 0, stream>>>(x, m, w, n, k, bias, y, accumulate, k_per_split, atomic);
  } else {
    gemm_kernel<BM, BN, WARPS_M, false><<<grid, THREADS, 0, stream>>>(x, m, w, n, k, bias, y, accumulate, k_per_split, atomic);
  }
  check_launch("gemm_wmma");
}

int multiprocessors() {
  static const int count = [] {
    int device = 0, sms = 0;
    cudaGetDevice(&device);
    return cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) == cudaSuccess && sms > 0 ? sms : 80;
  }();
  return count;
}

}  // namespace

void gemm_wmma(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate,
               cudaStream_t stream) {
  if (m == 0 || n == 0) return;
  if (m <= 32) {
    // Enough blocks for two per SM, each still streaming at least 4 tiles of K.
    const int column_tiles = (n + 63) / 64;
    const int splits = std::clamp((2 * multiprocessors() + column_tiles - 1) / column_tiles, 1,
                                  std::max(1, k / (4 * BK)));
    launch<32, 64, 1>(x, m, w, n, k, bias, y, accumulate, splits, stream);
  } else {
    launch<64, 64, 2>(x, m, w, n, k, bias, y, accumulate, 1, stream);
  }
}

}  // namespace anneal::cuda
