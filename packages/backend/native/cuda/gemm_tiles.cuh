// The shared-memory tiles both WMMA GEMM kernels stream K through (gemm_wmma.cu: one output tile
// per block, split-K; gemm_stream.cu: a persistent grid walking (column tile, k tile) pairs).
#pragma once

#include <cuda_pipeline.h>

#include "common.cuh"

namespace anneal::cuda::tiles {

constexpr int BK = 64;
constexpr int PAD = 8;  // BF16 per shared row beyond BK: keeps 16-byte alignment, spreads banks

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

}  // namespace anneal::cuda::tiles
