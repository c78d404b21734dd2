// The decode-shaped GEMM (m ≤ 32 rows, the 32-token blocks of diffusion sampling): a product bound
// by reading W once. A persistent grid, as many blocks as fit on the GPU at once, walks the
// flattened (column tile, k tile) pairs in equal contiguous shares (stream-K), so every SM streams
// W until the end with no second wave and no idle tail, and the cp.async pipeline runs on across
// column tiles. When a share leaves a column tile its partial sums go into y with atomic adds (y is
// cleared first unless the product accumulates), and the share that holds k tile 0 adds the bias.
#include <mma.h>

#include <algorithm>

#include "gemm.cuh"
#include "gemm_tiles.cuh"

namespace anneal::cuda {

namespace {

using namespace nvcuda;
using tiles::BK;
using tiles::load_tile;
using tiles::PAD;

constexpr int BM = 32;
constexpr int THREADS = 128;  // 4 warps side by side, each 32 rows × BN / 4 columns

template <int BN, int STAGES>
constexpr size_t shared_bytes() {  // the staged tiles, then the output patch
  return tiles::staged_bytes<BM, BN, STAGES>() + sizeof(float) * BM * (BN + 4);
}

template <int BN, int STAGES>
__global__ void __launch_bounds__(THREADS)
    gemm_stream_kernel(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, int k_tiles,
                       int total) {
  constexpr int WN = BN / 4, FM = BM / 16, FN = WN / 16;
  using XTile = bf16[BM][BK + PAD];
  using WTile = bf16[BN][BK + PAD];
  extern __shared__ __align__(128) unsigned char shared[];
  XTile* xs = reinterpret_cast<XTile*>(shared);
  WTile* ws = reinterpret_cast<WTile*>(shared + STAGES * sizeof(XTile));
  float(*cs)[BN + 4] = reinterpret_cast<float(*)[BN + 4]>(shared + tiles::staged_bytes<BM, BN, STAGES>());

  // This block's share of the flattened iterations: [begin, end).
  const int begin = static_cast<int>(static_cast<long long>(blockIdx.x) * total / gridDim.x);
  const int end = static_cast<int>(static_cast<long long>(blockIdx.x + 1) * total / gridDim.x);
  const int count = end - begin, warp = threadIdx.x / 32;

  tiles::Accumulator acc[FM][FN];
#pragma unroll
  for (int i = 0; i < FM; ++i)
#pragma unroll
    for (int j = 0; j < FN; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  auto load = [&](int it, int stage) {
    const int column = it / k_tiles, k0 = (it % k_tiles) * BK;
    load_tile<BM, THREADS, true>(xs[stage], x, 0, m, k0, k, k);
    load_tile<BN, THREADS, true>(ws[stage], w, column * BN, n, k0, k, k);
  };
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < count) load(begin + s, s);
    __pipeline_commit();
  }
  for (int t = 0; t < count; ++t) {
    if (t + STAGES - 1 < count) load(begin + t + STAGES - 1, (t + STAGES - 1) % STAGES);
    __pipeline_commit();
    __pipeline_wait_prior(STAGES - 1);
    __syncthreads();
    const int stage = t % STAGES;
    tiles::multiply_stage<FM, FN>(acc, xs[stage], ws[stage], 0, warp * WN);
    const int it = begin + t;
    if ((it + 1) % k_tiles == 0 || t + 1 == count) {  // leaving this column tile: flush (block-uniform)
      const int column = it / k_tiles;
      const bool adds_bias = bias && column * k_tiles >= begin;  // this share holds the column's k tile 0
#pragma unroll
      for (int i = 0; i < FM; ++i)
#pragma unroll
        for (int j = 0; j < FN; ++j) {
          wmma::store_matrix_sync(&cs[16 * i][warp * WN + 16 * j], acc[i][j], BN + 4, wmma::mem_row_major);
          wmma::fill_fragment(acc[i][j], 0.0f);
        }
      __syncthreads();
      for (int i = threadIdx.x; i < BM * BN; i += THREADS) {
        const int r = i / BN, c = i % BN, col = column * BN + c;
        if (r < m && col < n) atomicAdd(y + static_cast<size_t>(r) * n + col, cs[r][c] + (adds_bias ? bias[col] : 0.0f));
      }
    }
    __syncthreads();  // the stage (and the output patch) is read before a later iteration refills it
  }
  __pipeline_wait_prior(0);
}

template <int BN, int STAGES>
void launch(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate,
            int blocks_per_sm, cudaStream_t stream) {
  constexpr size_t bytes = shared_bytes<BN, STAGES>();
  auto kernel = gemm_stream_kernel<BN, STAGES>;
  // As many blocks as are resident at once (the occupancy calculator's answer), or fewer if asked.
  static const int resident = [&] {
    if (bytes > 48 * 1024) {
      check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)),
            "gemm_stream shared memory");
    }
    int blocks = 0;
    check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, THREADS, bytes), "gemm_stream occupancy");
    return std::max(blocks, 1);
  }();
  const int per_sm = blocks_per_sm > 0 ? std::min(blocks_per_sm, resident) : resident;
  const int k_tiles = (k + BK - 1) / BK, total = ((n + BN - 1) / BN) * k_tiles;
  const int grid = std::min(total, per_sm * multiprocessors());
  if (!accumulate) check(cudaMemsetAsync(y, 0, sizeof(float) * m * n, stream), "gemm_stream: clear y");
  kernel<<<grid, THREADS, bytes, stream>>>(x, m, w, n, k, bias, y, k_tiles, total);
  check_launch("gemm_stream");
}

}  // namespace

void gemm_stream(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate,
                 cudaStream_t stream, int columns, int stages, int blocks_per_sm) {
  if (m > BM || k % 8 != 0) throw std::invalid_argument("gemm_stream: needs m ≤ 32 and k % 8 == 0");
  if (m == 0 || n == 0) return;
  if (columns == 128) {
    switch (stages) {
      case 2: return launch<128, 2>(x, m, w, n, k, bias, y, accumulate, blocks_per_sm, stream);
      case 3: return launch<128, 3>(x, m, w, n, k, bias, y, accumulate, blocks_per_sm, stream);
      default: return launch<128, 4>(x, m, w, n, k, bias, y, accumulate, blocks_per_sm, stream);
    }
  }
  switch (stages) {
    case 2: return launch<64, 2>(x, m, w, n, k, bias, y, accumulate, blocks_per_sm, stream);
    case 3: return launch<64, 3>(x, m, w, n, k, bias, y, accumulate, blocks_per_sm, stream);
    default: return launch<64, 4>(x, m, w, n, k, bias, y, accumulate, blocks_per_sm, stream);
  }
}

}  // namespace anneal::cuda
