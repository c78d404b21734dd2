// Our BF16 tensor-core GEMM (always built: the toolkit on our machines has no cuBLAS).
//
// A block computes a BM × BN tile of y with WARPS_M × WARPS_N warps, each a patch of 16 × 16 WMMA
// fragments with FP32 accumulators. K streams through shared memory 64 at a time in a STAGES-deep
// pipeline: cp.async fills the next stages while the tensor cores work on this one. w's tile is
// stored as rows of W, which is exactly B = Wᵀ in column-major order, so no transpose is needed.
//
// Decode-shaped products (the 32-token blocks of diffusion sampling) are bound by reading W once;
// a 4096-wide output gives only 64 column tiles for 132 SMs, so when the output alone gives too
// few blocks K is split across blocks too (split-K) and the partial products meet in y through
// atomic adds.
#include <cuda_pipeline.h>
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

// The staged tiles and, after the last product, the output patch share one buffer.
template <int BM, int BN, int STAGES>
constexpr size_t shared_bytes() {
  return std::max(tiles::staged_bytes<BM, BN, STAGES>(), sizeof(float) * BM * (BN + 4));
}

template <int BM, int BN, int WARPS_M, int WARPS_N, int STAGES, bool VEC>
__global__ void __launch_bounds__(WARPS_M* WARPS_N * 32)
    gemm_kernel(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate,
                int k_per_split, bool atomic) {
  constexpr int THREADS = WARPS_M * WARPS_N * 32, WM = BM / WARPS_M, WN = BN / WARPS_N, FM = WM / 16, FN = WN / 16;
  static_assert(WM % 16 == 0 && WN % 16 == 0, "each warp owns whole 16 × 16 fragments");
  using XTile = bf16[BM][BK + PAD];
  using WTile = bf16[BN][BK + PAD];
  // The staged tiles and, after the last product, the output patch share one buffer.
  extern __shared__ __align__(128) unsigned char shared[];
  XTile* xs = reinterpret_cast<XTile*>(shared);
  WTile* ws = reinterpret_cast<WTile*>(shared + STAGES * sizeof(XTile));
  float(*cs)[BN + 4] = reinterpret_cast<float(*)[BN + 4]>(shared);

  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int k_begin = blockIdx.z * k_per_split, k_end = min(k, k_begin + k_per_split);
  const int warp = threadIdx.x / 32, wr = warp / WARPS_N, wc = warp % WARPS_N;

  tiles::Accumulator acc[FM][FN];
#pragma unroll
  for (int i = 0; i < FM; ++i)
#pragma unroll
    for (int j = 0; j < FN; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  const int tiles = k_end > k_begin ? (k_end - k_begin + BK - 1) / BK : 0;
  auto load = [&](int tile, int stage) {
    const int k0 = k_begin + tile * BK;
    load_tile<BM, THREADS, VEC>(xs[stage], x, m0, m, k0, k_end, k);
    load_tile<BN, THREADS, VEC>(ws[stage], w, n0, n, k0, k_end, k);
  };
  // Prologue: the first STAGES − 1 tiles in flight. Every step commits one group (empty or not),
  // so "all but the newest STAGES − 1 groups have landed" always means "tile t has landed".
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < tiles) load(s, s);
    __pipeline_commit();
  }
  for (int t = 0; t < tiles; ++t) {
    // The stage tile t + STAGES − 1 goes into was consumed in iteration t − 1 (its last barrier).
    if (t + STAGES - 1 < tiles) load(t + STAGES - 1, (t + STAGES - 1) % STAGES);
    __pipeline_commit();
    __pipeline_wait_prior(STAGES - 1);
    __syncthreads();
    const int stage = t % STAGES;
    tiles::multiply_stage<FM, FN>(acc, xs[stage], ws[stage], wr * WM, wc * WN);
    __syncthreads();  // this stage is read before a later iteration refills it
  }
  __pipeline_wait_prior(0);
  __syncthreads();

#pragma unroll
  for (int i = 0; i < FM; ++i)
#pragma unroll
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

template <int BM, int BN, int WARPS_M, int WARPS_N, int STAGES, bool VEC>
void launch_kernel(dim3 grid, cudaStream_t stream, const bf16* x, int m, const bf16* w, int n, int k, const float* bias,
                   float* y, bool accumulate, int k_per_split, bool atomic) {
  constexpr size_t bytes = shared_bytes<BM, BN, STAGES>();
  auto kernel = gemm_kernel<BM, BN, WARPS_M, WARPS_N, STAGES, VEC>;
  if constexpr (bytes > 48 * 1024) {  // past 48 KB a kernel must ask for its shared memory
    static const cudaError_t raised =
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
    check(raised, "gemm_wmma shared memory");
  }
  kernel<<<grid, WARPS_M * WARPS_N * 32, bytes, stream>>>(x, m, w, n, k, bias, y, accumulate, k_per_split, atomic);
}

// One tile shape at one pipeline depth: the grid, split-K when the output alone gives fewer blocks
// than SMs, and the kernel for aligned (k % 8 == 0) or unaligned rows.
template <int BM, int BN, int WARPS_M, int WARPS_N, int STAGES>
void launch(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate,
            int blocks_per_sm, cudaStream_t stream) {
  if (k % 8 != 0) {  // unaligned rows are rare (tests, odd checkpoints): one plain shape serves them
    const dim3 grid((n + 63) / 64, (m + 63) / 64, 1);
    launch_kernel<64, 64, 2, 2, 2, false>(grid, stream, x, m, w, n, k, bias, y, accumulate, k, false);
    check_launch("gemm_wmma");
    return;
  }
  const int output_blocks = ((n + BN - 1) / BN) * ((m + BM - 1) / BM), sms = multiprocessors();
  int splits = 1;
  if (output_blocks < sms) {  // each split still streams at least 4 tiles of K
    splits = std::clamp((blocks_per_sm * sms + output_blocks - 1) / output_blocks, 1, std::max(1, k / (4 * BK)));
  }
  // Splits start on BK boundaries, so only the last one can end inside a tile.
  const int k_per_split = ((k + splits - 1) / splits + BK - 1) / BK * BK;
  splits = (k + k_per_split - 1) / k_per_split;
  const bool atomic = splits > 1;
  if (atomic && !accumulate) check(cudaMemsetAsync(y, 0, sizeof(float) * m * n, stream), "gemm: clear y");
  const dim3 grid((n + BN - 1) / BN, (m + BM - 1) / BM, splits);
  launch_kernel<BM, BN, WARPS_M, WARPS_N, STAGES, true>(grid, stream, x, m, w, n, k, bias, y, accumulate, k_per_split, atomic);
  check_launch("gemm_wmma");
}

template <int BM, int BN, int WARPS_M, int WARPS_N>
void launch_stages(int stages, const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y,
                   bool accumulate, int blocks_per_sm, cudaStream_t stream) {
  switch (stages) {
    case 2: return launch<BM, BN, WARPS_M, WARPS_N, 2>(x, m, w, n, k, bias, y, accumulate, blocks_per_sm, stream);
    case 3: return launch<BM, BN, WARPS_M, WARPS_N, 3>(x, m, w, n, k, bias, y, accumulate, blocks_per_sm, stream);
    default: return launch<BM, BN, WARPS_M, WARPS_N, 4>(x, m, w, n, k, bias, y, accumulate, blocks_per_sm, stream);
  }
}

}  // namespace

int multiprocessors() {
  static const int count = [] {
    int device = 0, sms = 0;
    cudaGetDevice(&device);
    return cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) == cudaSuccess && sms > 0 ? sms : 80;
  }();
  return count;
}

const char* tile_name(WmmaTile tile) {
  switch (tile) {
    case WmmaTile::Rows32x64: return "32x64";
    case WmmaTile::Rows32x128: return "32x128";
    case WmmaTile::Square64: return "64x64";
    case WmmaTile::Square128: return "128x128";
    case WmmaTile::Stream32x64: return "stream 32x64";
    case WmmaTile::Stream32x128: return "stream 32x128";
    default: return "auto";
  }
}

void gemm_wmma(const bf16* x, int m, const bf16* w, int n, int k, const float* bias, float* y, bool accumulate,
               cudaStream_t stream, const WmmaChoice& choice) {
  if (m == 0 || n == 0) return;
  // Defaults from anneal-cuda-check --sweep on an H100 (bench/results/device-sweep.json). For ≤ 32
  // rows: outputs wide enough to give every SM a 32 × 128 tile of its own (the LM head, gate|up)
  // streamed W fastest as whole-K tiles, narrower ones (q|k|v, o, down) through the persistent
  // kernel. For long canvases 128 × 128 tiles ran ~1.3× the 64 × 64 ones.
  WmmaTile tile = choice.tile;
  int stages = choice.stages > 0 ? std::clamp(choice.stages, 2, 4) : 2;
  if (tile == WmmaTile::Auto) {
    if (m <= 32) {
      tile = n >= 128 * multiprocessors() ? WmmaTile::Rows32x128 : WmmaTile::Stream32x128;
    } else {
      tile = m < 128 ? WmmaTile::Square64 : WmmaTile::Square128;
    }
  }
  const int blocks_per_sm = choice.blocks_per_sm > 0 ? choice.blocks_per_sm : 4;
  const bool streamable = m <= 32 && k % 8 == 0;
  switch (tile) {
    case WmmaTile::Stream32x64:
    case WmmaTile::Stream32x128:
      if (!streamable) break;  // the split-K kernels take any shape
      return gemm_stream(x, m, w, n, k, bias, y, accumulate, stream, tile == WmmaTile::Stream32x64 ? 64 : 128, stages,
                         choice.blocks_per_sm);
    default:
      break;
  }
  switch (tile) {
    case WmmaTile::Rows32x64:  // 4 warps side by side, each 32 × 16
      return launch_stages<32, 64, 1, 4>(stages, x, m, w, n, k, bias, y, accumulate, blocks_per_sm, stream);
    case WmmaTile::Rows32x128:  // each 32 × 32
      return launch_stages<32, 128, 1, 4>(stages, x, m, w, n, k, bias, y, accumulate, blocks_per_sm, stream);
    case WmmaTile::Square128:  // 8 warps, each 64 × 32
      return launch_stages<128, 128, 2, 4>(stages, x, m, w, n, k, bias, y, accumulate, blocks_per_sm, stream);
    default:  // 4 warps, each 32 × 32
      return launch_stages<64, 64, 2, 2>(stages, x, m, w, n, k, bias, y, accumulate, blocks_per_sm, stream);
  }
}

}  // namespace anneal::cuda
