// One block per row of logits (the loops over the vocabulary are unrolled so that many loads are in
// flight per thread): a top-2 pass, a sum-of-exponentials pass (for the softmax and the
// entropy), and when the row samples, a Gumbel-max pass keyed by seeded_draw.h, as ops.cpp's row_stats is.
#include <cfloat>
#include <cmath>

#include "../src/seeded_draw.h"
#include "stats.cuh"

namespace anneal::cuda {

namespace {

constexpr int THREADS = 512;
constexpr unsigned FULL = 0xffffffffu;

static_assert(sizeof(RowStats) == 24, "RowStats is copied from the device as it is laid out");

// The best two logits seen so far; ties keep the lower index as the best, like a left-to-right scan.
struct Top2 {
  float best;
  int index;
  float second;
};

__device__ Top2 merge(Top2 a, Top2 b) {
  const bool b_wins = b.best > a.best || (b.best == a.best && b.index < a.index);
  const Top2 winner = b_wins ? b : a, loser = b_wins ? a : b;
  return {winner.best, winner.index, fmaxf(winner.second, loser.best)};
}

__device__ Top2 shuffle_any(Top2 v, int offset) {
  return {__shfl_xor_sync(FULL, v.best, offset), __shfl_xor_sync(FULL, v.index, offset),
          __shfl_xor_sync(FULL, v.second, offset)};
}
__device__ float2 shuffle_any(float2 v, int offset) {
  return {__shfl_xor_sync(FULL, v.x, offset), __shfl_xor_sync(FULL, v.y, offset)};
}
struct Scored {
  double score;
  int index;
};
__device__ Scored shuffle_any(Scored v, int offset) {
  return {__shfl_xor_sync(FULL, v.score, offset), __shfl_xor_sync(FULL, v.index, offset)};
}

// Combines every thread's value; `identity` fills the slots of the second stage that have no warp.
template <typename T, typename Combine>
__device__ T block_reduce(T value, T identity, Combine combine, T* scratch) {
  for (int offset = 16; offset > 0; offset /= 2) value = combine(value, shuffle_any(value, offset));
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = value;
  __syncthreads();
  if (threadIdx.x < 32) {
    value = threadIdx.x < THREADS / 32 ? scratch[threadIdx.x] : identity;
    for (int offset = 16; offset > 0; offset /= 2) value = combine(value, shuffle_any(value, offset));
    if (threadIdx.x == 0) scratch[0] = value;
  }
  __syncthreads();
  const T result = scratch[0];
  __syncthreads();  // scratch is reused by the next reduction
  return result;
}

__global__ void __launch_bounds__(THREADS)
    row_stats_kernel(const float* logits, int vocab, const RowDraw* draws, const uint8_t* masks, RowStats* stats) {
  __shared__ Top2 top_scratch[THREADS / 32];
  __shared__ float2 sum_scratch[THREADS / 32];
  __shared__ Scored draw_scratch[THREADS / 32];
  const float* row = logits + static_cast<size_t>(blockIdx.x) * vocab;
  const RowDraw draw = draws[blockIdx.x];
  // The mask is read in the same passes as the logits, so each row is still read once per pass.
  const uint8_t* allowed = draw.mask >= 0 ? masks + draw.mask : nullptr;
  const auto logit = [&](int i) { return allowed && !allowed[i] ? -INFINITY : row[i]; };

  Top2 top{-INFINITY, vocab, -INFINITY};
  #pragma unroll 8
  for (int i = threadIdx.x; i < vocab; i += THREADS) top = merge(top, Top2{logit(i), i, -INFINITY});
  top = block_reduce(top, Top2{-INFINITY, vocab, -INFINITY}, [](Top2 a, Top2 b) { return merge(a, b); }, top_scratch);

  float2 sums{0.0f, 0.0f};  // Σ e^(l − max), Σ e^(l − max) · (l − max)
  #pragma unroll 8
  for (int i = threadIdx.x; i < vocab; i += THREADS) {
    const float d = logit(i) - top.best;
    const float e = expf(d);
    sums.x += e;
    sums.y += d == -INFINITY ? 0.0f : e * d;
  }
  sums = block_reduce(sums, float2{0.0f, 0.0f}, [](float2 a, float2 b) { return float2{a.x + b.x, a.y + b.y}; }, sum_scratch);

  int sample = top.index;
  if (draw.temperature > 0) {
    const uint64_t key = draw_key(draw.seed, draw.position, draw.step);
    Scored best{-DBL_MAX, vocab};
    #pragma unroll 8
    for (int i = threadIdx.x; i < vocab; i += THREADS) {
      if (allowed && !allowed[i]) continue;  // never drawn, as a −∞ logit is never drawn on the CPU
      const double u = token_uniform(key, i);
      const double score = static_cast<double>(row[i]) / draw.temperature - log(-log(u));
      if (score > best.score) best = {score, i};
    }
    best = block_reduce(best, Scored{-DBL_MAX, vocab}, [](Scored a, Scored b) { return b.score > a.score || (b.score == a.score && b.index < a.index) ? b : a; },
                        draw_scratch);
    sample = best.index;
  }
  if (threadIdx.x == 0) {
    RowStats s;
    s.argmax = top.index;
    s.confidence = 1.0f / sums.x;
    s.margin = -expm1f(top.second - top.best) / sums.x;  // accurate for near-ties, where 1 − e^x cancels
    s.entropy = logf(sums.x) - sums.y / sums.x;
    s.sample = sample;
    s.sample_prob = expf(row[sample] - top.best) / sums.x;
    stats[blockIdx.x] = s;
  }
}

}  // namespace

void row_stats(const float* logits, int rows, int vocab, const RowDraw* draws, const uint8_t* masks, RowStats* stats,
               cudaStream_t stream) {
  if (rows == 0) return;
  row_stats_kernel<<<rows, THREADS, 0, stream>>>(logits, vocab, draws, masks, stats);
  check_launch("row_stats");
}

}  // namespace anneal::cuda
