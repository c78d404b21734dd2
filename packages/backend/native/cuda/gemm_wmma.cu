// Our BF16 tensor-core GEMM (always built: the toolkit on our machines has no cuBLAS).
//
// A block computes a BM × BN tile of y with 4 warps in a 2 × 2 grid, each warp (BM/2) × (BN/2) in
// 16 × 16 WMMA fragments. K advances 32 at a time through shared memory: x's tile row-major, w's
// tile as rows of W, which is exactly B = Wᵀ in column-major order, so no transpose is needed.
// Decode-shaped products (m ≤ 32, the 32-token blocks of diffusion sampling) are memory-bound on
// W, so they use 32 × 32 tiles: more blocks in flight to stream the weights.
#include <mma.h>

#include "gemm.cuh"

namespace anneal::cuda {

namespace {

using namespace nvcuda;

constexpr int BK = 32;
constexpr int PAD = 8;  // BF16 per shared row beyond BK: keeps WMMA's 32-byte alignment, spreads banks

// Loads a rows × BK tile starting at (row0, k0) of a [limit][k] matrix into shared memory, zeros
// outside. VEC: 8 values per 16-byte load (k % 8 == 0, so rows stay 16-byte aligned).
template <int ROWS, bool VEC>
__device__ void load_tile(bf16 (*tile)[BK + PAD], const bf16* src, int row0, int limit, int k0, int k) {
  if constexpr (VEC) {
    constexpr int CHUNKS = ROWS * BK / 8;
    for (int i = threadIdx.x; i < CHUNKS; i += blockDim.x) {
      const int r = i / (BK / 8), c = (i % (BK / 8)) * 8;
      uint4 value = make_uint4(0, 0, 0, 0);
      if (row0 + r < limit && k0 + c < k) value = *reinterpret_cast<const uint4*>(src + static_cast<size_t>(row0 + r) * k + k0 + c);
      *reinterpret_cast<uint4*>(&tile[r][c]) = value;
    }
  } else {
    for (int i = threadIdx.x; i < ROWS * BK; i += blockDim.x) {
      const int r = i / BK, c = i % BK;
      tile[r][c] = (row0 + r < limit && k0 + c < k) ? src[static_cast<size_t>(row0 + r) * k + k0 + c] : __float2bfloat16(0.0f);
    }
  }
}

template <int BM, int BN, bool VEC>
__global__ void __launch_bounds__(128)
    gemm_kernel(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate) {
  constexpr int WM = BM / 2, WN = BN / 2, FM = WM / 16, FN = WN / 16;
  __shared__ __align__(32) bf16 xs[BM][BK + PAD];
  __shared__ __align__(32) bf16 ws[BN][BK + PAD];
  __shared__ __align__(32) float cs[BM][BN + 4];
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int warp = threadIdx.x / 32, wr = warp / 2, wc = warp % 2;

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[FM][FN];
  for (int i = 0; i < FM; ++i)
    for (int j = 0; j < FN; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  for (int k0 = 0; k0 < k; k0 += BK) {
    load_tile<BM, VEC>(xs, x, m0, m, k0, k);
    load_tile<BN, VEC>(ws, w, n0, n, k0, k);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a[FM];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> b[FN];
      for (int i = 0; i < FM; ++i) wmma::load_matrix_sync(a[i], &xs[wr * WM + 16 * i][kk], BK + PAD);
      for (int j = 0; j < FN; ++j) wmma::load_matrix_sync(b[j], &ws[wc * WN + 16 * j][kk], BK + PAD);
      for (int i = 0; i < FM; ++i)
        for (int j = 0; j < FN; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
  for (int i = 0; i < FM; ++i)
    for (int j = 0; j < FN; ++j)
      wmma::store_matrix_sync(&cs[wr * WM + 16 * i][wc * WN + 16 * j], acc[i][j], BN + 4, wmma::mem_row_major);
  __syncthreads();
  for (int i = threadIdx.x; i < BM * BN; i += blockDim.x) {
    const int r = i / BN, c = i % BN;
    if (m0 + r >= m || n0 + c >= n) continue;
    float value = cs[r][c] + (bias ? bias[n0 + c] : 0.0f);
    float& out = y[static_cast<size_t>(m0 + r) * n + n0 + c];
    out = accumulate ? out + value : value;
  }
}

template <int BM, int BN>
void launch(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate,
            cudaStream_t stream) {
  const dim3 grid((n + BN - 1) / BN, (m + BM - 1) / BM);
  if (k % 8 == 0) {
    gemm_kernel<BM, BN, true><<<grid, 128, 0, stream>>>(x, m, w, n, k, bias, y, accumulate);
  } else {
    gemm_kernel<BM, BN, false><<<grid, 128, 0, stream>>>(x, m, w, n, k, bias, y, accumulate);
  }
  check_launch("gemm_wmma");
}

}  // namespace

void gemm_wmma(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate,
               cudaStream_t stream) {
  if (m == 0 || n == 0) return;
  if (m <= 32) {
    launch<32, 32>(x, m, w, n, k, bias, y, accumulate, stream);
  } else {
    launch<64, 64>(x, m, w, n, k, bias, y, accumulate, stream);
  }
}

}  // namespace anneal::cuda
