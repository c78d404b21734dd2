// A loaded diffusion transformer (LLaDA and Dream/Qwen2 families share this forward pass) and the
// one operation the engine needs from it: run some canvas rows and summarise their logits.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dtype.h"
#include "mapped_file.h"
#include "ops.h"
#include "weight_reader.h"

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
  bool qkv_bias = false;
  bool tied_embeddings = false;
};

// Per-layer K and V for up to `capacity` positions of one sequence: [layers][capacity][kv_dim].
struct KvCache {
  KvCache(int layers, int capacity, int kv_dim)
      : layers(layers), capacity(capacity), kv_dim(kv_dim),
        keys(static_cast<size_t>(layers) * capacity * kv_dim), values(keys.size()) {}
  float* layer_keys(int layer) { return keys.data() + static_cast<size_t>(layer) * capacity * kv_dim; }
  float* layer_values(int layer) { return values.data() + static_cast<size_t>(layer) * capacity * kv_dim; }
  int layers, capacity, kv_dim;
  std::vector<float> keys, values;
};

// One sequence's share of a batched forward pass.
struct SequenceInput {
  std::vector<int32_t> tokens;  // the whole canvas
  int row_begin = 0;            // rows [row_begin, row_end) are computed; their K/V go into the cache
  int row_end = 0;
  int attend_length = 0;        // those rows attend to cache positions [0, attend_length)
  std::shared_ptr<KvCache> cache;  // null: a scratch cache; the rows must then cover [0, attend_length)
  std::vector<int32_t> stat_rows;  // positions (inside the computed rows) whose logits are summarised
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

class Model {
 public:
  // Reads, converts and repacks every weight. Throws with the file and tensor name on bad input.
  Model(const ModelConfig& config, const std::vector<std::string>& files,
        const std::map<std::string, TensorSource>& tensors, size_t threads);

  const ModelConfig& config() const { return config_; }
  size_t threads() const { return pool_.size(); }
  const char* kernels_name() const { return kernels_.name; }
  int64_t parameter_count() const { return parameters_; }

  // Runs all sequences in one pass (their rows share every matrix product). Thread-safe: calls are
  // serialised, since the pool runs one job at a time.
  std::vector<SequenceOutput> forward(std::vector<SequenceInput>& batch);

 private:
  struct Layer {
    std::vector<float> attn_norm, ffn_norm, q_bias, k_bias, v_bias;
    PackedWeight q, k, v, o, gate, up, down;
  };

  ModelConfig config_;
  const Kernels& kernels_;
  ThreadPool pool_;
  std::mutex forward_mutex_;
  std::vector<float> embed_;  // [vocab][dim]
  std::vector<float> final_norm_;
  PackedWeight head_;
  std::vector<Layer> layers_;
  int64_t parameters_ = 0;
};

}  // namespace anneal
