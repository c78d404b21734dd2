// The CUDA engine: weights uploaded once as BF16, K/V caches on the device, a workspace that grows
// to the largest batch seen and is then reused (no allocation per step), and one stream per engine.
// The forward pass mirrors Model::forward in ../src/model.cpp step for step; only per-row
// statistics (and logits when asked) come back to the host.
//
// Shapes: R rows this pass (all sequences), D dim, QD/KD query/key-value widths, F ffn, V vocab.
#include <algorithm>
#include <mutex>
#include <string>

#include "cuda_engine.h"
#include "gemm.cuh"
#include "ops.cuh"
#include "phase_timer.cuh"
#include "stats.cuh"

namespace anneal::cuda {

namespace {

// A sequence's K and V on the device: [layers][capacity][kv_dim] BF16 each.
struct DeviceKv {
  DeviceKv(int layers, int capacity, int kv_dim)
      : keys(static_cast<size_t>(layers) * capacity * kv_dim), values(keys.size()), capacity(capacity), kv_dim(kv_dim) {}
  bf16* layer_keys(int layer) const { return keys.get() + static_cast<size_t>(layer) * capacity * kv_dim; }
  bf16* layer_values(int layer) const { return values.get() + static_cast<size_t>(layer) * capacity * kv_dim; }
  DeviceBuffer<bf16> keys, values;
  int capacity, kv_dim;
};

// Rows whose sample needs the sorted candidates of top-k / top-p are drawn on the host.
bool needs_host_draw(const SamplingParams& s) { return s.temperature > 0 && (s.top_k > 0 || s.top_p < 1.0f); }

class CudaEngine : public Engine {
 public:
  CudaEngine(const ModelConfig& config, const EngineOptions& options)
      : config_(config), options_(options), phases_(options.profile) {
    check_config(config_);
    if (config_.experts > 0 || config_.qk_norm) {
      throw std::invalid_argument("the CUDA engine does not run mixture-of-experts models (LLaDA-MoE) yet; use --device cpu");
    }
    if (config_.head_dim > 256) throw std::invalid_argument("model config: the CUDA engine supports head dims up to 256");
    const DeviceProbe found = probe();
    if (found.count == 0) throw std::runtime_error("no CUDA device: " + found.error);
    if (found.compute_capability < 80) {
      throw std::runtime_error("the CUDA engine needs compute capability 8.0 or newer (BF16 tensor cores); " + found.name +
                               " has " + std::to_string(found.compute_capability / 10) + "." +
                               std::to_string(found.compute_capability % 10));
    }
    device_ = "cuda:0 " + found.name;
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    allocate();
  }
  ~CudaEngine() override {
    if (stream_) cudaStreamDestroy(stream_);
  }

  // Reads every tensor through the CPU loader's reader (same names, shapes and errors) as BF16. The
  // q, k and v projections are stored as one [QD + 2·KD][D] matrix and gate and up as one [2F][D],
  // so each becomes one wider product: fewer launches, and wide products stream W closer to peak.
  void load(const std::vector<std::string>& files, const std::map<std::string, TensorSource>& tensors) {
    WeightReader reader(files, tensors);
    auto upload_matrix = [&](DeviceBuffer<bf16>& to, const std::vector<float>& values) {
      to.upload(to_bf16(values), stream_);
      check(cudaStreamSynchronize(stream_), "upload weights");  // the host copy is freed next
    };
    auto stacked = [&](const std::vector<std::pair<std::string, int64_t>>& parts, int64_t cols) {
      std::vector<float> all;
      for (const auto& [key, rows] : parts) {
        const std::vector<float> part = reader.read(key, cols > 0 ? std::vector<int64_t>{rows, cols} : std::vector<int64_t>{rows});
        all.insert(all.end(), part.begin(), part.end());
      }
      return all;
    };
    auto vector = [&](DeviceBuffer<float>& to, const std::vector<float>& values) {
      to.upload(values, stream_);
      check(cudaStreamSynchronize(stream_), "upload weights");
    };
    const ModelConfig& c = config_;
    const int64_t QD = int64_t{c.heads} * c.head_dim, KD = int64_t{c.kv_heads} * c.head_dim;
    upload_matrix(embed_, stacked({{"embed", c.vocab}}, c.dim));
    vector(final_norm_, stacked({{"final_norm", c.dim}}, 0));
    if (!c.tied_embeddings) upload_matrix(head_, stacked({{"head", c.vocab}}, c.dim));
    for (int l = 0; l < c.layers; ++l) {
      const std::string p = "layers." + std::to_string(l) + ".";
      Layer& layer = layers_[l];
      vector(layer.attn_norm, stacked({{p + "attn_norm", c.dim}}, 0));
      upload_matrix(layer.qkv, stacked({{p + "q", QD}, {p + "k", KD}, {p + "v", KD}}, c.dim));
      if (c.qkv_bias) vector(layer.qkv_bias, stacked({{p + "q_bias", QD}, {p + "k_bias", KD}, {p + "v_bias", KD}}, 0));
      upload_matrix(layer.o, stacked({{p + "o", c.dim}}, QD));
      vector(layer.ffn_norm, stacked({{p + "ffn_norm", c.dim}}, 0));
      upload_matrix(layer.gate_up, stacked({{p + "gate", c.ffn}, {p + "up", c.ffn}}, c.dim));
      upload_matrix(layer.down, stacked({{p + "down", c.dim}}, c.ffn));
    }
  }

  // Normal(0, 0.02) matrices, unit norms, zero biases: a model of the right shape and cost.
  void randomize(uint64_t seed) {
    uint64_t n = 0;
    auto matrix = [&](DeviceBuffer<bf16>& w) { random_normal(w.get(), w.size(), 0.02f, seed + 0x9E37 * ++n, stream_); };
    auto ones = [&](DeviceBuffer<float>& w) { fill(w.get(), w.size(), 1.0f, stream_); };
    auto zeros = [&](DeviceBuffer<float>& w) { fill(w.get(), w.size(), 0.0f, stream_); };
    matrix(embed_);
    if (!config_.tied_embeddings) matrix(head_);
    ones(final_norm_);
    for (Layer& layer : layers_) {
      for (DeviceBuffer<bf16>* w : {&layer.qkv, &layer.o, &layer.gate_up, &layer.down}) matrix(*w);
      ones(layer.attn_norm);
      ones(layer.ffn_norm);
      if (config_.qkv_bias) zeros(layer.qkv_bias);
    }
    check(cudaStreamSynchronize(stream_), "random weights");
  }

  const ModelConfig& config() const override { return config_; }
  std::string device() const override { return device_; }
  std::string kernels_name() const override { return options_.gemm == GemmBackend::Cublas ? "cuda-cublas" : "cuda-wmma"; }
  size_t threads() const override { return 1; }
  int64_t parameter_count() const override { return parameters_; }

  std::shared_ptr<KvCache> create_cache(int capacity) override {
    const int kd = config_.kv_heads * config_.head_dim;
    return std::make_shared<KvCache>(config_.layers, capacity, kd, std::make_shared<DeviceKv>(config_.layers, capacity, kd));
  }

  std::vector<SequenceOutput> forward(std::vector<SequenceInput>& batch) override;

  std::map<std::string, double> phase_seconds(bool reset) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<std::string, double> out = phases_.seconds();
    if (reset) phases_.reset();
    return out;
  }

 private:
  struct Layer {
    DeviceBuffer<float> attn_norm, ffn_norm, qkv_bias;  // qkv_bias: [QD + 2·KD] when the model has biases
    DeviceBuffer<bf16> qkv, o, gate_up, down;          // qkv: [QD + 2·KD][D]; gate_up: [2F][D]
  };
  struct Workspace {
    DeviceBuffer<int32_t> tokens, positions, head_rows, suppress_rows, suppress_tokens;
    DeviceBuffer<float> x, qkv, gate_up, gathered, logits, attention_scratch;
    DeviceBuffer<bf16> normed, attn, act;
    DeviceBuffer<RowDraw> draws;
    DeviceBuffer<RowStats> stats;
    std::vector<std::shared_ptr<DeviceKv>> scratch;  // K/V of sequences without a cache, reused by index
  };

  void allocate() {
    const ModelConfig& c = config_;
    const size_t D = c.dim, QD = size_t(c.heads) * c.head_dim, KD = size_t(c.kv_heads) * c.head_dim, F = c.ffn;
    embed_.reserve(size_t(c.vocab) * D);
    final_norm_.reserve(D);
    if (!c.tied_embeddings) head_.reserve(size_t(c.vocab) * D);
    parameters_ = int64_t(c.vocab) * D * (c.tied_embeddings ? 1 : 2) + D;
    layers_.resize(c.layers);
    for (Layer& layer : layers_) {
      layer.attn_norm.reserve(D);
      layer.ffn_norm.reserve(D);
      layer.qkv.reserve((QD + 2 * KD) * D);
      layer.o.reserve(D * QD);
      layer.gate_up.reserve(2 * F * D);
      layer.down.reserve(D * F);
      parameters_ += int64_t(2 * D + (QD + 2 * KD) * D + D * QD + 3 * F * D);
      if (c.qkv_bias) {
        layer.qkv_bias.reserve(QD + 2 * KD);
        parameters_ += int64_t(QD + 2 * KD);
      }
    }
  }

  const bf16* head() const { return config_.tied_embeddings ? embed_.get() : head_.get(); }

  // Downloads n values on the engine's stream (the caller synchronises before reading).
  template <typename T>
  void download_async(T* host, const T* device, size_t n) {
    if (n > 0) check(cudaMemcpyAsync(host, device, n * sizeof(T), cudaMemcpyDeviceToHost, stream_), "download");
  }

  ModelConfig config_;
  EngineOptions options_;
  std::string device_;
  cudaStream_t stream_ = nullptr;
  std::mutex mutex_;
  DeviceBuffer<bf16> embed_, head_;
  DeviceBuffer<float> final_norm_;
  std::vector<Layer> layers_;
  Workspace ws_;
  PhaseTimer phases_;
  int64_t parameters_ = 0;
};

std::vector<SequenceOutput> CudaEngine::forward(std::vector<SequenceInput>& batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  const ModelConfig& c = config_;
  const size_t requested = batch.size();
  const std::vector<size_t> twin_of = add_guidance_twins(batch);
  const int D = c.dim, QD = c.heads * c.head_dim, KD = c.kv_heads * c.head_dim, QKV = QD + 2 * KD, F = c.ffn, V = c.vocab;
  const GemmBackend gemm_with = options_.gemm;

  // Each sequence's K/V: its own device cache, or a reused scratch one sized to its canvas.
  std::vector<const DeviceKv*> kv(batch.size());
  size_t scratch_used = 0;
  for (size_t s = 0; s < batch.size(); ++s) {
    check_sequence(batch[s], c, s);
    const int length = static_cast<int>(batch[s].tokens.size());
    if (batch[s].cache) {
      if (!batch[s].cache->device) {
        throw std::invalid_argument("sequence " + std::to_string(s) + ": the KV cache was made by another device's engine");
      }
      kv[s] = static_cast<const DeviceKv*>(batch[s].cache->device.get());
    } else {
      if (ws_.scratch.size() <= scratch_used) ws_.scratch.push_back(nullptr);
      std::shared_ptr<DeviceKv>& scratch = ws_.scratch[scratch_used++];
      if (!scratch || scratch->capacity < length) scratch = std::make_shared<DeviceKv>(c.layers, length, KD);
      kv[s] = scratch.get();
    }
  }
  const BatchLayout layout = lay_out(batch, requested);
  const std::vector<int>& offset = layout.offset;
  const std::vector<size_t>&first_stat = layout.first_stat, &owner = layout.owner;
  const int R = layout.rows();
  const int HR = static_cast<int>(layout.head_rows.size());

  // The workspace grows to this batch (a no-op once the largest batch has been seen).
  Workspace& w = ws_;
  w.x.reserve(size_t(R) * D);
  w.normed.reserve(size_t(std::max(R, 1)) * D);
  w.qkv.reserve(size_t(R) * QKV);
  w.attn.reserve(size_t(R) * QD);
  w.gate_up.reserve(size_t(R) * 2 * F);
  w.act.reserve(size_t(R) * F);
  w.gathered.reserve(size_t(std::max(HR, 1)) * D);
  w.logits.reserve(size_t(std::max(HR, 1)) * V);
  // Key ranges per sequence for attention (several when its rows alone cannot fill the GPU).
  std::vector<int> attention_splits_of(batch.size());
  size_t scratch_floats = 0;
  for (size_t s = 0; s < batch.size(); ++s) {
    const int rows = offset[s + 1] - offset[s];
    attention_splits_of[s] = attention_splits(rows, batch[s].attend_length, c.heads, c.head_dim, multiprocessors());
    scratch_floats = std::max(scratch_floats, attention_scratch_floats(rows, c.heads, c.head_dim, attention_splits_of[s]));
  }
  w.attention_scratch.reserve(std::max<size_t>(scratch_floats, 1));
  w.tokens.upload(layout.tokens, stream_);
  w.positions.upload(layout.positions, stream_);
  w.head_rows.upload(layout.head_rows, stream_);

  phases_.begin(stream_);
  embed_rows(embed_.get(), w.tokens.get(), w.x.get(), R, D, stream_);
  phases_.mark("embed", stream_);
  for (int l = 0; l < c.layers; ++l) {
    const Layer& layer = layers_[l];
    rms_norm(w.x.get(), D, layer.attn_norm.get(), w.normed.get(), R, D, c.eps, stream_);
    phases_.mark("rms_norm", stream_);
    // One product for q | k | v; RoPE on q in place, k and v into the cache; attention.
    gemm(gemm_with, w.normed.get(), R, layer.qkv.get(), QKV, D, c.qkv_bias ? layer.qkv_bias.get() : nullptr, w.qkv.get(),
         false, stream_);
    phases_.mark("q|k|v gemm", stream_);
    for (size_t s = 0; s < batch.size(); ++s) {
      const int rows = offset[s + 1] - offset[s];
      float* qkv_rows = w.qkv.get() + size_t(offset[s]) * QKV;
      bf16* keys = kv[s]->layer_keys(l);
      bf16* values = kv[s]->layer_values(l);
      rope_store(qkv_rows, QKV, w.positions.get() + offset[s], rows, c.heads, c.kv_heads, c.head_dim, c.rope_theta, keys,
                 values, stream_);
      phases_.mark("rope + kv store", stream_);
      attention(qkv_rows, QKV, keys, values, w.attn.get() + size_t(offset[s]) * QD, rows, batch[s].attend_length,
                c.heads, c.kv_heads, c.head_dim, stream_, attention_splits_of[s], w.attention_scratch.get());
      phases_.mark("attention", stream_);
    }
    gemm(gemm_with, w.attn.get(), R, layer.o.get(), D, QD, nullptr, w.x.get(), true, stream_);
    phases_.mark("o gemm", stream_);
    rms_norm(w.x.get(), D, layer.ffn_norm.get(), w.normed.get(), R, D, c.eps, stream_);
    phases_.mark("rms_norm", stream_);
    gemm(gemm_with, w.normed.get(), R, layer.gate_up.get(), 2 * F, D, nullptr, w.gate_up.get(), false, stream_);
    phases_.mark("gate|up gemm", stream_);
    silu_mul(w.gate_up.get(), w.gate_up.get() + F, 2 * F, w.act.get(), R, F, stream_);
    phases_.mark("silu", stream_);
    gemm(gemm_with, w.act.get(), R, layer.down.get(), D, F, nullptr, w.x.get(), true, stream_);
    phases_.mark("down gemm", stream_);
  }

  // The LM head only on the rows a sampler asked about.
  gather_rows(w.x.get(), w.head_rows.get(), w.gathered.get(), HR, D, stream_);
  rms_norm(w.gathered.get(), D, final_norm_.get(), w.normed.get(), HR, D, c.eps, stream_);
  phases_.mark("final norm", stream_);
  gemm(gemm_with, w.normed.get(), HR, head(), V, D, nullptr, w.logits.get(), false, stream_);
  phases_.mark("head gemm", stream_);
  for (size_t s = 0; s < requested; ++s) {  // guidance: l = l_u + (g + 1)(l_c − l_u)
    if (batch[s].guidance <= 0) continue;
    guide(w.logits.get() + first_stat[s] * V, w.logits.get() + first_stat[twin_of[s]] * V, batch[s].guidance,
          batch[s].stat_rows.size() * size_t(V), stream_);
  }

  const size_t answered = layout.answered;
  std::vector<int32_t> suppress_rows, suppress_tokens;
  std::vector<RowDraw> draws(answered);
  for (size_t row = 0; row < answered; ++row) {
    const SequenceInput& seq = batch[owner[row]];
    for (int32_t token : seq.sampling.suppress) {
      if (token < 0 || token >= V) continue;
      suppress_rows.push_back(static_cast<int32_t>(row));
      suppress_tokens.push_back(token);
    }
    draws[row] = RowDraw{needs_host_draw(seq.sampling) ? 0.0f : seq.sampling.temperature, seq.sampling.seed,
                         layout.stat_position[row], seq.step};
  }
  if (!suppress_rows.empty()) {
    w.suppress_rows.upload(suppress_rows, stream_);
    w.suppress_tokens.upload(suppress_tokens, stream_);
    suppress(w.logits.get(), V, w.suppress_rows.get(), w.suppress_tokens.get(), static_cast<int>(suppress_rows.size()), stream_);
  }
  w.draws.upload(draws, stream_);
  w.stats.reserve(std::max<size_t>(answered, 1));
  row_stats(w.logits.get(), static_cast<int>(answered), V, w.draws.get(), w.stats.get(), stream_);
  std::vector<RowStats> stats(answered);
  download_async(stats.data(), w.stats.get(), answered);
  phases_.mark("stats", stream_);

  std::vector<SequenceOutput> outputs(requested);
  std::vector<std::vector<float>> host_rows(answered);  // rows drawn on the host, or returned whole
  for (size_t row = 0; row < answered; ++row) {
    const SequenceInput& seq = batch[owner[row]];
    if (!seq.want_logits && !needs_host_draw(seq.sampling)) continue;
    host_rows[row].resize(V);
    download_async(host_rows[row].data(), w.logits.get() + row * V, size_t(V));
  }
  check(cudaStreamSynchronize(stream_), "forward");
  phases_.collect();
  for (size_t row = 0; row < answered; ++row) {
    const size_t s = owner[row];
    const SequenceInput& seq = batch[s];
    if (needs_host_draw(seq.sampling)) {
      std::vector<float> copy = host_rows[row];
      stats[row] = anneal::row_stats(copy.data(), V, seq.sampling, layout.stat_position[row], seq.step);
    }
    outputs[s].stats.push_back(stats[row]);
    if (seq.want_logits) outputs[s].logits.insert(outputs[s].logits.end(), host_rows[row].begin(), host_rows[row].end());
  }
  return outputs;
}

}  // namespace

DeviceProbe probe() {
  DeviceProbe found;
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    found.error = cudaGetErrorString(status);
    return found;
  }
  if (count == 0) {
    found.error = "no CUDA device is visible";
    return found;
  }
  cudaDeviceProp props{};
  if (cudaGetDeviceProperties(&props, 0) != cudaSuccess) {
    cudaGetLastError();
    found.error = "cannot read device 0's properties";
    return found;
  }
  found.count = count;
  found.name = props.name;
  found.compute_capability = props.major * 10 + props.minor;
  found.memory_gib = static_cast<double>(props.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0);
  return found;
}

std::unique_ptr<Engine> load_engine(const ModelConfig& config, const std::vector<std::string>& files,
                                    const std::map<std::string, TensorSource>& tensors, const EngineOptions& options) {
  auto engine = std::make_unique<CudaEngine>(config, options);
  engine->load(files, tensors);
  return engine;
}

std::map<std::string, double> phase_seconds(Engine& engine, bool reset) {
  auto* cuda_engine = dynamic_cast<CudaEngine*>(&engine);
  return cuda_engine ? cuda_engine->phase_seconds(reset) : std::map<std::string, double>{};
}

std::unique_ptr<Engine> random_engine(const ModelConfig& config, uint64_t seed, const EngineOptions& options) {
  auto engine = std::make_unique<CudaEngine>(config, options);
  engine->randomize(seed);
  return engine;
}

}  // namespace anneal::cuda
