// The per-position statistics a sampler needs (argmax, confidence, margin, entropy, a seeded
// sample), computed over the vocabulary on the device so only a few numbers per row come back.
#pragma once

#include "../src/ops.h"
#include "common.cuh"

namespace anneal::cuda {

// Per row: the draw's key (as the CPU twin keys it) and whether to draw at all.
struct RowDraw {
  float temperature = 0;  // 0: greedy (sample = argmax)
  uint64_t seed = 0;
  uint64_t position = 0;
  uint64_t step = 0;
};

// stats[r] for rows of `vocab` logits. Samples draw by Gumbel-max over the whole vocabulary with the
// CPU's hash, so a seed gives the same token on either device; top-k/top-p rows are the caller's.
void row_stats(const float* logits, int rows, int vocab, const RowDraw* draws, RowStats* stats, cudaStream_t stream);

}  // namespace anneal::cuda
