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
#include "../src/mixture.h"
#include "gemm.cuh"
#include "mixture.cuh"
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
      if (c.qk_norm) {
        vector(layer.q_norm, stacked({{p + "q_norm", c.head_dim}}, 0));
        vector(layer.k_norm, stacked({{p + "k_norm", c.head_dim}}, 0));
      }
      upload_matrix(layer.o, stacked({{p + "o", c.dim}}, QD));
      vector(layer.ffn_norm, stacked({{p + "ffn_norm", c.dim}}, 0));
      // A dense layer's MLP, or a mixture layer's shared expert (if any), in gate_up and down.
      const std::string mlp = c.is_moe_layer(l) ? p + "shared." : p;
      const int64_t width = c.is_moe_layer(l) ? c.shared_expert_ffn : c.ffn;
      if (width > 0) {
        upload_matrix(layer.gate_up, stacked({{mlp + "gate", width}, {mlp + "up", width}}, c.dim));
        upload_matrix(layer.down, stacked({{mlp + "down", c.dim}}, width));
      }
      if (!c.is_moe_layer(l)) continue;
      upload_matrix(layer.router, stacked({{p + "router", c.experts}}, c.dim));
      if (c.expert_bias) {
        const std::vector<float> bias = stacked({{p + "expert_bias", c.experts}}, 0);
        layer.expert_bias_host = bias;
      }
      for (int e = 0; e < c.experts; ++e) {
        const std::string x = p + "experts." + std::to_string(e) + ".";
        upload_matrix(layer.experts[e].gate_up, stacked({{x + "gate", c.expert_ffn}, {x + "up", c.expert_ffn}}, c.dim));
        upload_matrix(layer.experts[e].down, stacked({{x + "down", c.dim}}, c.expert_ffn));
      }
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
      for (DeviceBuffer<bf16>* w : {&layer.qkv, &layer.o, &layer.gate_up, &layer.down, &layer.router}) {
        if (w->size() > 0) matrix(*w);
      }
      for (ExpertWeights& expert : layer.experts) {
        matrix(expert.gate_up);
        matrix(expert.down);
      }
      ones(layer.attn_norm);
      ones(layer.ffn_norm);
      if (config_.qk_norm) {
        ones(layer.q_norm);
        ones(layer.k_norm);
      }
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
  // One expert's SwiGLU: gate and up as one [2·Fe][D] matrix, down [D][Fe].
  struct ExpertWeights {
    DeviceBuffer<bf16> gate_up, down;
  };
  struct Layer {
    DeviceBuffer<float> attn_norm, ffn_norm, qkv_bias;  // qkv_bias: [QD + 2·KD] when the model has biases
    DeviceBuffer<float> q_norm, k_norm;                // [head_dim] each, when the model normalises q and k
    // qkv: [QD + 2·KD][D]; gate_up: [2F][D] (a mixture layer's: its shared expert's, if any)
    DeviceBuffer<bf16> qkv, o, gate_up, down;
    // A mixture layer: the router [E][D] (the choice of experts is made on the host, as the CPU
    // engine makes it: mixture.h's route), the expert bias, and the experts.
    DeviceBuffer<bf16> router;
    std::vector<float> expert_bias_host;
    std::vector<ExpertWeights> experts;
  };
  struct Workspace {
    DeviceBuffer<int32_t> tokens, positions, head_rows, suppress_rows, suppress_tokens;
    DeviceBuffer<float> x, qkv, gate_up, gathered, logits, attention_scratch;
    DeviceBuffer<bf16> normed, attn, act;
    // Mixture layers: router logits [R][E]; rows grouped by expert with their weights; those rows'
    // inputs gathered, and one expert's outputs.
    DeviceBuffer<float> router_logits, expert_weights, expert_out;
    DeviceBuffer<int32_t> expert_rows;
    DeviceBuffer<bf16> expert_in;
    DeviceBuffer<RowDraw> draws;
    DeviceBuffer<uint8_t> masks;  // the batch's allowed-token masks, each sequence's one after another
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
    for (int l = 0; l < c.layers; ++l) {
      Layer& layer = layers_[l];
      layer.attn_norm.reserve(D);
      layer.ffn_norm.reserve(D);
      layer.qkv.reserve((QD + 2 * KD) * D);
      layer.o.reserve(D * QD);
      parameters_ += int64_t(2 * D + (QD + 2 * KD) * D + D * QD);
      const size_t mlp = c.is_moe_layer(l) ? size_t(c.shared_expert_ffn) : F;  // a dense MLP or a shared expert
      if (mlp > 0) {
        layer.gate_up.reserve(2 * mlp * D);
        layer.down.reserve(D * mlp);
        parameters_ += int64_t(3 * mlp * D);
      }
      if (c.qkv_bias) {
        layer.qkv_bias.reserve(QD + 2 * KD);
        parameters_ += int64_t(QD + 2 * KD);
      }
      if (c.qk_norm) {
        layer.q_norm.reserve(c.head_dim);
        layer.k_norm.reserve(c.head_dim);
        parameters_ += int64_t(2 * c.head_dim);
      }
      if (!c.is_moe_layer(l)) continue;
      const size_t E = c.experts, Fe = c.expert_ffn;
      layer.router.reserve(E * D);
      parameters_ += int64_t(E * D + (c.expert_bias ? E : 0) + E * 3 * Fe * D);
      layer.experts.resize(E);
      for (ExpertWeights& expert : layer.experts) {
        expert.gate_up.reserve(2 * Fe * D);
        expert.down.reserve(D * Fe);
      }
    }
  }

  const bf16* head() const { return config_.tied_embeddings ? embed_.get() : head_.get(); }

  // out (+)= down(silu(gate(x)) · up(x)) for `rows` BF16 rows of D values; gate_up is [2·width][D].
  void swiglu(const bf16* x, int rows, const bf16* gate_up, const bf16* down, int width, float* out) {
    Workspace& w = ws_;
    const int D = config_.dim;
    gemm(options_.gemm, x, rows, gate_up, 2 * width, D, nullptr, w.gate_up.get(), false, stream_);
    phases_.mark("gate|up gemm", stream_);
    silu_mul(w.gate_up.get(), w.gate_up.get() + width, 2 * width, w.act.get(), rows, width, stream_);
    phases_.mark("silu", stream_);
    gemm(options_.gemm, w.act.get(), rows, down, D, width, nullptr, out, true, stream_);
    phases_.mark("down gemm", stream_);
  }

  // x += the mixture of experts over ws_.normed's R rows. The router's logits come to the host, where
  // mixture.h's route() chooses each row's experts exactly as the CPU engine does; then each chosen
  // expert runs once over its rows (gathered), and its outputs are added back weighted.
  void mixture(const Layer& layer, int R) {
    const ModelConfig& c = config_;
    Workspace& w = ws_;
    const int D = c.dim, E = c.experts, K = c.experts_per_token, Fe = c.expert_ffn;
    gemm(options_.gemm, w.normed.get(), R, layer.router.get(), E, D, nullptr, w.router_logits.get(), false, stream_);
    std::vector<float> logits(size_t(R) * E);
    download_async(logits.data(), w.router_logits.get(), logits.size());
    check(cudaStreamSynchronize(stream_), "router");
    const Routing routing = route(logits.data(), R, E, layer.expert_bias_host, router_rule(c));
    const ExpertGroups groups = group_by_expert(routing, R, E, K);
    const std::vector<int>& first = groups.first;
    w.expert_rows.upload(groups.rows, stream_);
    w.expert_weights.upload(groups.weights, stream_);
    gather_rows(w.normed.get(), w.expert_rows.get(), w.expert_in.get(), first[E], D, stream_);
    phases_.mark("route + gather", stream_);
    for (int e = 0; e < E; ++e) {
      const int n = first[e + 1] - first[e];
      if (n == 0) continue;
      const bf16* in = w.expert_in.get() + size_t(first[e]) * D;
      gemm(options_.gemm, in, n, layer.experts[e].gate_up.get(), 2 * Fe, D, nullptr, w.gate_up.get(), false, stream_);
      silu_mul(w.gate_up.get(), w.gate_up.get() + Fe, 2 * Fe, w.act.get(), n, Fe, stream_);
      gemm(options_.gemm, w.act.get(), n, layer.experts[e].down.get(), D, Fe, nullptr, w.expert_out.get(), false, stream_);
      add_weighted_rows(w.expert_out.get(), w.expert_rows.get() + first[e], w.expert_weights.get() + first[e], w.x.get(),
                        n, D, stream_);
    }
    phases_.mark("experts", stream_);
  }

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
  const size_t widest = std::max({size_t(F), size_t(c.expert_ffn), size_t(c.shared_expert_ffn)});
  w.gate_up.reserve(size_t(R) * 2 * widest);
  w.act.reserve(size_t(R) * widest);
  if (c.experts > 0) {
    w.router_logits.reserve(size_t(R) * c.experts);
    w.expert_in.reserve(size_t(R) * c.experts_per_token * D);
    w.expert_out.reserve(size_t(R) * D);  // one expert's rows at a time: at most R
  }
  w.gathered.reserve(size_t(std::max(HR, 1)) * D);
  w.logits.reserve(size_t(std::max(HR, 1)) * V);
  // Key ranges per attention call (several when its rows alone cannot fill the GPU). A call covers a
  // sequence's rows, or for a block-causal model each block's rows (they see keys up to their block's end).
  struct AttentionRun {
    int first, rows, limit, splits;
  };
  std::vector<std::vector<AttentionRun>> attention_runs(batch.size());
  size_t scratch_floats = 0;
  for (size_t s = 0; s < batch.size(); ++s) {
    for_each_attention_run(batch[s], [&](int first, int last, int limit) {
      const int rows = last - first;
      const int splits = attention_splits(rows, limit, c.heads, c.head_dim, multiprocessors());
      attention_runs[s].push_back({first - batch[s].row_begin, rows, limit, splits});
      scratch_floats = std::max(scratch_floats, attention_scratch_floats(rows, c.heads, c.head_dim, splits));
    });
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
    if (c.qk_norm) {  // each head of q and k normalised on its own, before RoPE
      head_rms_norm(w.qkv.get(), QKV, R, c.heads, c.head_dim, layer.q_norm.get(), c.eps, stream_);
      head_rms_norm(w.qkv.get() + QD, QKV, R, c.kv_heads, c.head_dim, layer.k_norm.get(), c.eps, stream_);
      phases_.mark("q/k norms", stream_);
    }
    for (size_t s = 0; s < batch.size(); ++s) {
      const int rows = offset[s + 1] - offset[s];
      float* qkv_rows = w.qkv.get() + size_t(offset[s]) * QKV;
      bf16* keys = kv[s]->layer_keys(l);
      bf16* values = kv[s]->layer_values(l);
      rope_store(qkv_rows, QKV, w.positions.get() + offset[s], rows, c.heads, c.kv_heads, c.head_dim, c.rotated_dims(),
                 c.rope_theta, keys, values, stream_);
      phases_.mark("rope + kv store", stream_);
      for (const AttentionRun& run : attention_runs[s]) {
        attention(qkv_rows + size_t(run.first) * QKV, QKV, keys, values, w.attn.get() + size_t(offset[s] + run.first) * QD,
                  run.rows, run.limit, c.heads, c.kv_heads, c.head_dim, stream_, run.splits, w.attention_scratch.get());
      }
      phases_.mark("attention", stream_);
    }
    gemm(gemm_with, w.attn.get(), R, layer.o.get(), D, QD, nullptr, w.x.get(), true, stream_);
    phases_.mark("o gemm", stream_);
    rms_norm(w.x.get(), D, layer.ffn_norm.get(), w.normed.get(), R, D, c.eps, stream_);
    phases_.mark("rms_norm", stream_);
    if (c.is_moe_layer(l)) mixture(layer, R);
    const int mlp = c.is_moe_layer(l) ? c.shared_expert_ffn : F;  // the dense MLP, or the shared expert
    if (mlp > 0) swiglu(w.normed.get(), R, layer.gate_up.get(), layer.down.get(), mlp, w.x.get());
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
  // Constrained rows: every sequence's masks go up once, one after another; each row points at its own.
  std::vector<uint8_t> masks;
  std::vector<int64_t> masks_at(requested, -1);
  for (size_t s = 0; s < requested; ++s) {
    if (batch[s].stat_mask.empty()) continue;
    masks_at[s] = static_cast<int64_t>(masks.size());
    masks.insert(masks.end(), batch[s].allowed.begin(), batch[s].allowed.end());
  }
  for (size_t row = 0; row < answered; ++row) {
    const SequenceInput& seq = batch[owner[row]];
    for (int32_t token : seq.sampling.suppress) {
      if (token < 0 || token >= V) continue;
      suppress_rows.push_back(static_cast<int32_t>(row));
      suppress_tokens.push_back(token);
    }
    draws[row] = RowDraw{needs_host_draw(seq.sampling) ? 0.0f : seq.sampling.temperature, seq.sampling.seed,
                         layout.stat_position[row], seq.step};
    const int32_t mask = seq.stat_mask.empty() ? -1 : seq.stat_mask[row - first_stat[owner[row]]];
    if (mask >= 0) draws[row].mask = masks_at[owner[row]] + static_cast<int64_t>(mask) * V;
  }
  if (!masks.empty()) w.masks.upload(masks, stream_);
  if (!suppress_rows.empty()) {
    w.suppress_rows.upload(suppress_rows, stream_);
    w.suppress_tokens.upload(suppress_tokens, stream_);
    suppress(w.logits.get(), V, w.suppress_rows.get(), w.suppress_tokens.get(), static_cast<int>(suppress_rows.size()), stream_);
  }
  w.draws.upload(draws, stream_);
  w.stats.reserve(std::max<size_t>(answered, 1));
  row_stats(w.logits.get(), static_cast<int>(answered), V, w.draws.get(), masks.empty() ? nullptr : w.masks.get(),
            w.stats.get(), stream_);
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
    if (needs_host_draw(seq.sampling)) {  // top-k / top-p: the CPU's row_stats, under the row's mask too
      std::vector<float> copy = host_rows[row];
      const uint8_t* allowed = allowed_tokens(seq, row - first_stat[s], V);
      stats[row] = anneal::row_stats(copy.data(), V, seq.sampling, layout.stat_position[row], seq.step, allowed);
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
