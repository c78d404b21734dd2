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
  // Constrained decoding: the byte offset of this row's allowed-token mask (`vocab` bytes, 1: the
  // token may be proposed) in row_stats' `masks`, or -1 when every token may.
  int64_t mask = -1;
};

// stats[r] for rows of `vocab` logits. Samples draw by Gumbel-max over the whole vocabulary with the
// CPU's hash, so a seed gives the same token on either device; top-k/top-p rows are the caller's.
// A row with a mask counts the tokens it leaves out as −∞ in every pass, as the CPU's row_stats does
// (the logits themselves are left as they are); `masks` may be null when no row has one.
void row_stats(const float* logits, int rows, int vocab, const RowDraw* draws, const uint8_t* masks, RowStats* stats,
               cudaStream_t stream);

}  // namespace anneal::cuda
