// The checks and batch shaping every engine shares, so the CPU and CUDA engines refuse the same
// inputs with the same messages.
#include "engine.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace anneal {

void check_config(const ModelConfig& c) {
  if (c.vocab <= 0 || c.dim <= 0 || c.layers <= 0 || c.heads <= 0 || c.kv_heads <= 0 || c.head_dim <= 0 ||
      c.ffn <= 0) {
    throw std::invalid_argument("model config: every size must be positive");
  }
  if (c.heads % c.kv_heads != 0) throw std::invalid_argument("model config: heads must be a multiple of kv heads");
  if (c.head_dim % 2 != 0) throw std::invalid_argument("model config: head dim must be even for RoPE");
  if (c.rope_dim < 0 || c.rope_dim > c.head_dim || c.rope_dim % 2 != 0) {
    throw std::invalid_argument("model config: the rotary dims must be even and at most the head dim");
  }
  if (c.experts < 0) throw std::invalid_argument("model config: experts must not be negative");
  if (c.experts > 0) {
    if (c.experts_per_token < 1 || c.experts_per_token > c.experts) {
      throw std::invalid_argument("model config: experts per token must be between 1 and the number of experts");
    }
    if (c.expert_ffn <= 0 || c.shared_expert_ffn < 0) throw std::invalid_argument("model config: expert sizes must be positive");
    if (!c.moe_layers.empty() && c.moe_layers.size() != static_cast<size_t>(c.layers)) {
      throw std::invalid_argument("model config: moe layers must name every layer");
    }
    // Each group is scored by its two best experts, so a group needs two.
    if (c.expert_groups < 1 || c.experts % c.expert_groups != 0 || (c.expert_groups > 1 && c.experts / c.expert_groups < 2)) {
      throw std::invalid_argument("model config: expert groups must split the experts into equal groups of two or more");
    }
    if (c.expert_groups_kept < 1 || c.expert_groups_kept > c.expert_groups ||
        c.expert_groups_kept * (c.experts / c.expert_groups) < c.experts_per_token) {
      throw std::invalid_argument("model config: the kept expert groups must hold at least the experts per token");
    }
    if (!(c.routed_scale > 0) || !std::isfinite(c.routed_scale)) {
      throw std::invalid_argument("model config: the routed scale must be a positive number");
    }
  }
}

void check_sequence(const SequenceInput& s, const ModelConfig& c, size_t index) {
  const std::string where = "sequence " + std::to_string(index) + ": ";
  const int length = static_cast<int>(s.tokens.size());
  if (length == 0) throw std::invalid_argument(where + "no tokens");
  for (int32_t t : s.tokens) {
    if (t < 0 || t >= c.vocab) throw std::invalid_argument(where + "token id " + std::to_string(t) + " is outside the vocabulary");
  }
  if (s.row_begin < 0 || s.row_end > length || s.row_begin >= s.row_end) {
    throw std::invalid_argument(where + "rows must be a non-empty range inside the canvas");
  }
  if (s.attend_length < s.row_end || s.attend_length > length) {
    throw std::invalid_argument(where + "attend length must cover the computed rows and stay inside the canvas");
  }
  if (s.block_size < 0) throw std::invalid_argument(where + "blockSize must be 0 (bidirectional) or positive");
  if (s.cache) {
    if (s.cache->capacity < length || s.cache->layers != c.layers) {
      throw std::invalid_argument(where + "the KV cache is smaller than the canvas");
    }
  } else if (s.row_begin != 0 || s.row_end != s.attend_length) {
    throw std::invalid_argument(where + "without a cache, the computed rows must be exactly the attended ones");
  }
  for (int32_t r : s.stat_rows) {
    if (r < s.row_begin || r >= s.row_end) throw std::invalid_argument(where + "a stats row is outside the computed rows");
  }
  if (s.stat_mask.empty()) return;
  if (s.stat_mask.size() != s.stat_rows.size()) throw std::invalid_argument(where + "statMasks must name one mask per stats row");
  if (s.allowed.size() % static_cast<size_t>(c.vocab) != 0) {
    throw std::invalid_argument(where + "allowed must hold whole masks of vocab (" + std::to_string(c.vocab) + ") bytes");
  }
  const int64_t masks = static_cast<int64_t>(s.allowed.size() / static_cast<size_t>(c.vocab));
  for (int32_t m : s.stat_mask) {
    if (m >= masks) throw std::invalid_argument(where + "a stats row names a mask that allowed does not hold");
    if (m < 0) continue;
    const uint8_t* mask = s.allowed.data() + static_cast<size_t>(m) * static_cast<size_t>(c.vocab);
    if (std::none_of(mask, mask + c.vocab, [](uint8_t a) { return a != 0; })) {
      throw std::invalid_argument(where + "an allowed-token mask allows no token");
    }
  }
}

std::vector<size_t> add_guidance_twins(std::vector<SequenceInput>& batch) {
  const size_t requested = batch.size();
  std::vector<size_t> twin_of(requested, 0);
  for (size_t s = 0; s < requested; ++s) {
    if (batch[s].guidance <= 0) continue;
    if (batch[s].cache) throw std::invalid_argument("sequence " + std::to_string(s) + ": guidance runs without a KV cache");
    if (batch[s].unconditional.size() != batch[s].tokens.size()) {
      throw std::invalid_argument("sequence " + std::to_string(s) + ": the unconditional canvas must match the canvas length");
    }
    SequenceInput twin = batch[s];
    twin.tokens = batch[s].unconditional;
    twin.guidance = 0;
    twin_of[s] = batch.size();
    batch.push_back(std::move(twin));
  }
  return twin_of;
}

BatchLayout lay_out(const std::vector<SequenceInput>& batch, size_t requested) {
  BatchLayout layout;
  layout.offset.assign(batch.size() + 1, 0);
  layout.first_stat.resize(batch.size());
  for (size_t s = 0; s < batch.size(); ++s) {
    const SequenceInput& seq = batch[s];
    layout.offset[s + 1] = layout.offset[s] + seq.row_end - seq.row_begin;
    for (int p = seq.row_begin; p < seq.row_end; ++p) {
      layout.tokens.push_back(seq.tokens[p]);
      layout.positions.push_back(p);
    }
    layout.first_stat[s] = layout.head_rows.size();
    for (int32_t p : seq.stat_rows) {
      layout.head_rows.push_back(layout.offset[s] + p - seq.row_begin);
      layout.owner.push_back(s);
      layout.stat_position.push_back(static_cast<uint64_t>(p));
    }
  }
  layout.answered = requested < batch.size() ? layout.first_stat[requested] : layout.head_rows.size();
  return layout;
}

}  // namespace anneal
