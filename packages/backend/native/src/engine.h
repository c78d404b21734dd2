// What the addon asks of a forward engine, whichever device runs it: the CPU `Model` (model.h) or
// the CUDA engine (../cuda/cuda_engine.h). Both take the same batches and give the same statistics.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ops.h"

namespace anneal {

struct ModelConfig {
  int vocab = 0;
  int dim = 0;
  int layers = 0;
  int heads = 0;
  int kv_heads = 0;
  int head_dim = 0;
  int ffn = 0;
  float eps = 1e-5f;
  float rope_theta = 10000.0f;
  // Partial rotary embeddings (LLaDA2's partial_rotary_factor): only each head's first rope_dim values
  // are rotated (rotate-half pairs within them, frequencies over rope_dim); 0 means all head_dim.
  int rope_dim = 0;
  int rotated_dims() const { return rope_dim > 0 ? rope_dim : head_dim; }
  bool qkv_bias = false;
  bool tied_embeddings = false;
  // RMS-normalise each head of q and k (weights of head_dim values) before RoPE (LLaDA-MoE, OLMoE).
  bool qk_norm = false;
  // A mixture-of-experts MLP (LLaDA-MoE) when experts > 0: a router picks experts_per_token of the
  // experts for each row from softmax(router · x) (+ expert_bias when the model has one), and the
  // row's MLP output is the picked experts' SwiGLU outputs (width expert_ffn) weighted by those
  // probabilities — renormalised to sum to one only when norm_top_k — plus a shared expert's
  // (width shared_expert_ffn) when that is > 0. moe_layers says which layers have the mixture (the
  // others keep a dense MLP of width ffn); empty means all of them.
  //
  // LLaDA2's router (router_sigmoid) scores experts with sigmoid(router · x) instead; the expert bias
  // then only steers which experts are chosen, and the weights are the unbiased scores. With
  // expert_groups > 1 the experts are split into that many equal groups, each group scored by the sum
  // of its two best (biased) scores, and only the best expert_groups_kept groups' experts may be
  // chosen. routed_scale multiplies the routed experts' weights (routed_scaling_factor).
  int experts = 0;
  int experts_per_token = 0;
  int expert_ffn = 0;
  int shared_expert_ffn = 0;
  bool expert_bias = false;
  bool norm_top_k = false;
  bool router_sigmoid = false;
  int expert_groups = 1;
  int expert_groups_kept = 1;
  float routed_scale = 1.0f;
  std::vector<uint8_t> moe_layers;
  bool is_moe_layer(int layer) const {
    return experts > 0 && (moe_layers.empty() || moe_layers[static_cast<size_t>(layer)] != 0);
  }
};

// Throws std::invalid_argument when a size is not positive or the heads do not divide.
void check_config(const ModelConfig& config);

// Per-layer K and V for up to `capacity` positions of one sequence: [layers][capacity][kv_dim].
// A CPU cache holds them in `keys`/`values`; a device cache leaves those empty and owns `device`.
struct KvCache {
  KvCache(int layers, int capacity, int kv_dim)
      : layers(layers), capacity(capacity), kv_dim(kv_dim),
        keys(static_cast<size_t>(layers) * capacity * kv_dim), values(keys.size()) {}
  KvCache(int layers, int capacity, int kv_dim, std::shared_ptr<void> device_storage)
      : layers(layers), capacity(capacity), kv_dim(kv_dim), device(std::move(device_storage)) {}
  float* layer_keys(int layer) { return keys.data() + static_cast<size_t>(layer) * capacity * kv_dim; }
  float* layer_values(int layer) { return values.data() + static_cast<size_t>(layer) * capacity * kv_dim; }
  int layers, capacity, kv_dim;
  std::vector<float> keys, values;
  std::shared_ptr<void> device;
};

// One sequence's share of a batched forward pass.
struct SequenceInput {
  std::vector<int32_t> tokens;  // the whole canvas
  int row_begin = 0;            // rows [row_begin, row_end) are computed; their K/V go into the cache
  int row_end = 0;
  int attend_length = 0;        // those rows attend to cache positions [0, attend_length)
  // Block-causal attention (block-diffusion models: SDAR, Fast-dLLM v2, LLaDA2): > 0, the row at
  // position p attends only up to the end of its block, [0, min(attend_length, (p / block_size + 1) ·
  // block_size)) — bidirectional inside a block, causal across blocks. 0: every row sees all of it.
  int block_size = 0;
  std::shared_ptr<KvCache> cache;  // null: a scratch cache; the rows must then cover [0, attend_length)
  std::vector<int32_t> stat_rows;  // positions (inside the computed rows) whose logits are summarised
  // Constrained decoding: `allowed` holds masks of `vocab` bytes each (1: the token may be proposed);
  // `stat_mask[i]` names stat row i's mask, or -1 for none. Empty: every row is free.
  std::vector<uint8_t> allowed;
  std::vector<int32_t> stat_mask;
  bool want_logits = false;        // also return those rows' full logits
  SamplingParams sampling;
  uint64_t step = 0;
  // Unsupervised classifier-free guidance (LLaDA's cfg_scale): when > 0, the rows are also run over
  // `unconditional` (the canvas with its prompt masked) and summarised from l_u + (g + 1)(l_c − l_u).
  float guidance = 0;
  std::vector<int32_t> unconditional;
};

struct SequenceOutput {
  std::vector<RowStats> stats;
  std::vector<float> logits;  // [stat_rows][vocab] when asked
};

// Stat row `index` of `sequence`: its allowed-token mask, or nullptr when the row is free.
inline const uint8_t* allowed_tokens(const SequenceInput& sequence, size_t index, int vocab) {
  if (sequence.stat_mask.empty()) return nullptr;
  const int32_t mask = sequence.stat_mask[index];
  return mask < 0 ? nullptr : sequence.allowed.data() + static_cast<size_t>(mask) * static_cast<size_t>(vocab);
}

// The keys row `position` attends to: all of [0, attend_length), or up to the end of its block.
inline int attend_limit(const SequenceInput& sequence, int position) {
  if (sequence.block_size <= 0) return sequence.attend_length;
  const int block_end = (position / sequence.block_size + 1) * sequence.block_size;
  return block_end < sequence.attend_length ? block_end : sequence.attend_length;
}

// The sequence's computed rows in runs that see the same keys — one run without blocks, one per block
// with them: run(first, last, limit) for rows [first, last) attending to keys [0, limit).
template <class Run>
void for_each_attention_run(const SequenceInput& sequence, Run run) {
  for (int first = sequence.row_begin; first < sequence.row_end;) {
    const int limit = attend_limit(sequence, first);
    int last = first + 1;
    while (last < sequence.row_end && attend_limit(sequence, last) == limit) ++last;
    run(first, last, limit);
    first = last;
  }
}

// Throws std::invalid_argument naming the sequence when its rows, cache or tokens do not fit.
void check_sequence(const SequenceInput& sequence, const ModelConfig& config, size_t index);

// Appends a twin over the unconditional canvas for every guided sequence; twin_of[s] is its index.
std::vector<size_t> add_guidance_twins(std::vector<SequenceInput>& batch);

// Where each sequence's rows sit in one batched pass, the same for every engine: the rows computed
// (sequence by sequence) and the rows the LM head runs on, with the sequence each belongs to.
struct BatchLayout {
  std::vector<int> offset;             // sequence s computes rows [offset[s], offset[s + 1])
  std::vector<int32_t> tokens;         // per computed row: its token
  std::vector<int32_t> positions;      // per computed row: its canvas position
  std::vector<int32_t> head_rows;      // computed rows whose logits are summarised, sequence by sequence
  std::vector<size_t> first_stat;      // sequence s's head rows start at first_stat[s]
  std::vector<size_t> owner;           // per head row: its sequence
  std::vector<uint64_t> stat_position; // per head row: its canvas position (keys the seeded draw)
  size_t answered = 0;                 // head rows of the first `requested` sequences (twins come after)
  int rows() const { return offset.back(); }
};
BatchLayout lay_out(const std::vector<SequenceInput>& batch, size_t requested);

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const ModelConfig& config() const = 0;
  // Runs all sequences in one pass. Calls are serialised inside.
  virtual std::vector<SequenceOutput> forward(std::vector<SequenceInput>& batch) = 0;
  virtual std::shared_ptr<KvCache> create_cache(int capacity) = 0;
  virtual std::string device() const = 0;  // "cpu", or "cuda:0 <name>"
  virtual std::string kernels_name() const = 0;
  virtual size_t threads() const = 0;
  virtual int64_t parameter_count() const = 0;
};

}  // namespace anneal
