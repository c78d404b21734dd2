// The shared-memory tiles both WMMA GEMM kernels stream K through (gemm_wmma.cu: one output tile
// per block, split-K; gemm_stream.cu: a persistent grid walking (column tile, k tile) pairs).
#pragma once

#include <cuda_pipeline.h>
#include <mma.h>

#include "common.cuh"

namespace anneal::cuda::tiles {

constexpr int BK = 64;
constexpr int PAD = 8;  // BF16 per shared row beyond BK: keeps 16-byte alignment, spreads banks

// Shared memory for STAGES pairs of tiles: BM rows of x and BN rows of W, BK deep each.
template <int BM, int BN, int STAGES>
constexpr size_t staged_bytes() {
  return size_t(STAGES) * (BM + BN) * (BK + PAD) * sizeof(bf16);
}

// Copies rows [row0, row0 + ROWS) × columns [k0, k0 + BK) of a [limit][k] matrix into a shared tile,
// zeros outside the matrix and past k_end. VEC: 16-byte cp.async copies (k % 8 == 0 keeps every
// row 16-byte aligned); otherwise element by element.
template <int ROWS, int THREADS, bool VEC>
__device__ void load_tile(bf16 (*tile)[BK + PAD], const bf16* src, int row0, int limit, int k0, int k_end, int k) {
  if constexpr (VEC) {
    constexpr int CHUNKS = ROWS * BK / 8;
#pragma unroll
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

using Accumulator = nvcuda::wmma::fragment<nvcuda::wmma::accumulator, 16, 16, 16, float>;

// acc[i][j] += x rows [x_row + 16i, +16) · (w rows [w_row + 16j, +16))ᵀ over one BK-deep stage: a
// warp's FM × FN patch of 16 × 16 fragments. w's rows are B = Wᵀ in column-major order.
template <int FM, int FN>
__device__ void multiply_stage(Accumulator (&acc)[FM][FN], const bf16 (*xs)[BK + PAD], const bf16 (*ws)[BK + PAD],
                               int x_row, int w_row) {
  using namespace nvcuda;
#pragma unroll
  for (int kk = 0; kk < BK; kk += 16) {
    wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a[FM];
    wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> b[FN];
#pragma unroll
    for (int i = 0; i < FM; ++i) wmma::load_matrix_sync(a[i], &xs[x_row + 16 * i][kk], BK + PAD);
#pragma unroll
    for (int j = 0; j < FN; ++j) wmma::load_matrix_sync(b[j], &ws[w_row + 16 * j][kk], BK + PAD);
#pragma unroll
    for (int i = 0; i < FM; ++i)
#pragma unroll
      for (int j = 0; j < FN; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
  }
}

}  // namespace anneal::cuda::tiles
