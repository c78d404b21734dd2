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
#include "engine.h"
#include "mapped_file.h"
#include "ops.h"
#include "weight_reader.h"

namespace anneal {

class Model : public Engine {
 public:
  // Reads and repacks every weight, keeping 16-bit (BF16/F16) matrices at 16 bits and widening
  // vectors (norms, biases) to float32. Throws with the file and tensor name on bad input.
  Model(const ModelConfig& config, const std::vector<std::string>& files,
        const std::map<std::string, TensorSource>& tensors, size_t threads);

  const ModelConfig& config() const override { return config_; }
  size_t threads() const override { return pool_.size(); }
  std::string kernels_name() const override { return kernels_.name; }
  int64_t parameter_count() const override { return parameters_; }
  std::string device() const override { return "cpu"; }
  std::shared_ptr<KvCache> create_cache(int capacity) override {
    return std::make_shared<KvCache>(config_.layers, capacity, config_.kv_heads * config_.head_dim);
  }

  // Runs all sequences in one pass (their rows share every matrix product). Thread-safe: calls are
  // serialised, since the pool runs one job at a time.
  std::vector<SequenceOutput> forward(std::vector<SequenceInput>& batch) override;

 private:
  struct Layer {
    std::vector<float> attn_norm, ffn_norm, q_bias, k_bias, v_bias;
    PackedWeight q, k, v, o, gate, up, down;
  };

  ModelConfig config_;
  const Kernels& kernels_;
  ThreadPool pool_;
  std::mutex forward_mutex_;
  DType embed_dtype_ = DType::F32;
  std::vector<float> embed_;       // [vocab][dim], when the file stores it as F32
  std::vector<uint16_t> embed16_;  // [vocab][dim], BF16/F16 bits, when the file does
  std::vector<float> final_norm_;
  PackedWeight head_;
  std::vector<Layer> layers_;
  int64_t parameters_ = 0;
};

}  // namespace anneal
