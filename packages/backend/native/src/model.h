// A loaded diffusion transformer (LLaDA, Dream/Qwen2 and LLaDA-MoE share this forward pass) and the
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
#include "mixture.h"
#include "ops.h"
#include "weight_reader.h"

namespace anneal {

// How to hold weights that the file stores as floats: as stored, or quantized at load.
enum class QuantizeChoice { None, Q8_0, Q4_K };
QuantizeChoice parse_quantize_choice(const std::string& name);  // "", "none", "q8_0", "q4_k"

class Model : public Engine {
 public:
  // Reads every weight in its stored form: F32 and 16-bit (BF16/F16) matrices repacked into panels
  // (16-bit ones kept at 16 bits), GGUF-quantized ones and the embedding used in place from the
  // mapped file; vectors (norms, biases) widened to float32. `quantize` turns float matrices into
  // quantized ones instead. Throws with the file and tensor name on bad input.
  Model(const ModelConfig& config, const std::vector<std::string>& files,
        const std::map<std::string, TensorSource>& tensors, size_t threads,
        QuantizeChoice quantize = QuantizeChoice::None, bool bf16_dot = true);

  const ModelConfig& config() const override { return config_; }
  size_t threads() const override { return pool_.size(); }
  std::string kernels_name() const override { return kernels_.name; }
  int64_t parameter_count() const override { return parameters_; }
  std::string device() const override { return "cpu"; }
  // The matrices' storage ("F32", "BF16", "Q4_K", or "mixed" with the main type first, e.g. "Q4_K+Q6_K").
  std::string weight_format() const { return weight_format_; }
  // Bytes of weights held in memory, whether owned or mapped from the file.
  size_t weight_bytes() const { return weight_bytes_; }
  const char* int8_kernels() const { return kernels_.quant.name; }
  // How products with BF16 matrices run: "dot" (the CPU's BF16 dot-product instruction, activations
  // rounded to BF16) or "widen" (weights widened to float32: exactly the float32 product).
  const char* bf16_products() const { return bf16_dot_ ? "dot" : "widen"; }
  std::shared_ptr<KvCache> create_cache(int capacity) override {
    return std::make_shared<KvCache>(config_.layers, capacity, config_.kv_heads * config_.head_dim);
  }

  // Runs all sequences in one pass (their rows share every matrix product). Thread-safe: calls are
  // serialised, since the pool runs one job at a time.
  std::vector<SequenceOutput> forward(std::vector<SequenceInput>& batch) override;

 private:
  struct Layer {
    std::vector<float> attn_norm, ffn_norm, q_bias, k_bias, v_bias;
    std::vector<float> q_norm, k_norm;  // [head_dim] each, when the model normalises q and k per head
    PackedWeight q, k, v, o;
    SwiGlu mlp;       // a dense layer's MLP
    Mixture mixture;  // a mixture-of-experts layer's (when `moe`)
    bool moe = false;
    RopePairs rope_pairs = RopePairs::RotateHalf;  // interleaved when q and k are used in llama.cpp's order
  };

  ModelConfig config_;
  const Kernels& kernels_;
  ThreadPool pool_;
  bool bf16_dot_;  // asked for and available
  std::mutex forward_mutex_;
  // The embedding [vocab][dim], rows looked up where they lie: quantized ones in the mapped file,
  // float ones (and ones quantized at load) in `embed_owned_`; any dtype, widened a row at a time.
  DType embed_dtype_ = DType::F32;
  const uint8_t* embed_ = nullptr;
  size_t embed_row_bytes_ = 0;
  std::vector<uint8_t> embed_owned_;
  std::shared_ptr<const void> embed_file_;
  std::vector<float> final_norm_;
  std::string weight_format_;
  size_t weight_bytes_ = 0;
  PackedWeight head_;
  std::vector<Layer> layers_;
  int64_t parameters_ = 0;
};

}  // namespace anneal
