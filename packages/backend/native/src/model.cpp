// Loading weights into the engine's layout, and the forward pass.
//
// Shapes: R = rows computed this pass (all sequences together), D = dim, H/KV = query/key-value
// heads, Dh = head dim, F = ffn size, V = vocab. Linear weights are W[out][in].
#include "model.h"

#include <algorithm>
#include <stdexcept>

#include "weight_reader.h"

namespace anneal {

Model::Model(const ModelConfig& config, const std::vector<std::string>& files,
             const std::map<std::string, TensorSource>& tensors, size_t threads)
    : config_(config), kernels_(best_kernels()), pool_(threads) {
  check_config(config_);
  WeightReader reader(files, tensors);
  const int64_t D = config_.dim, V = config_.vocab, F = config_.ffn;
  const int64_t QD = static_cast<int64_t>(config_.heads) * config_.head_dim;
  const int64_t KD = static_cast<int64_t>(config_.kv_heads) * config_.head_dim;

  // Linear weights stay in the checkpoint's dtype: BF16/F16 files keep 16-bit panels (half the memory).
  auto is16 = [&](const std::string& key) { return reader.dtype(key) != DType::F32; };
  auto linear = [&](const std::string& key, int64_t out, int64_t in) {
    parameters_ += out * in;
    if (is16(key)) {
      const std::vector<uint16_t> w = reader.read16(key, {out, in});
      return pack_weight_16(w.data(), static_cast<int>(out), static_cast<int>(in), reader.dtype(key));
    }
    const std::vector<float> w = reader.read(key, {out, in});
    return pack_weight(w.data(), static_cast<int>(out), static_cast<int>(in));
  };
  auto vector = [&](const std::string& key, int64_t n) {
    parameters_ += n;
    return reader.read(key, {n});
  };

  // The embedding too keeps a 16-bit file's dtype; rows are widened as tokens look them up.
  embed_dtype_ = reader.dtype("embed");
  if (embed_dtype_ == DType::F32) embed_ = reader.read("embed", {V, D});
  else embed16_ = reader.read16("embed", {V, D});
  parameters_ += V * D;
  final_norm_ = vector("final_norm", D);
  if (config_.tied_embeddings) {
    head_ = embed_dtype_ == DType::F32
                ? pack_weight(embed_.data(), static_cast<int>(V), static_cast<int>(D))
                : pack_weight_16(embed16_.data(), static_cast<int>(V), static_cast<int>(D), embed_dtype_);
  } else {
    head_ = linear("head", V, D);
  }
  for (int i = 0; i < config_.layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    Layer layer;
    layer.attn_norm = vector(p + "attn_norm", D);
    layer.q = linear(p + "q", QD, D);
    layer.k = linear(p + "k", KD, D);
    layer.v = linear(p + "v", KD, D);
    if (config_.qkv_bias) {
      layer.q_bias = vector(p + "q_bias", QD);
      layer.k_bias = vector(p + "k_bias", KD);
      layer.v_bias = vector(p + "v_bias", KD);
    }
    layer.o = linear(p + "o", D, QD);
    layer.ffn_norm = vector(p + "ffn_norm", D);
    layer.gate = linear(p + "gate", F, D);
    layer.up = linear(p + "up", F, D);
    layer.down = linear(p + "down", D, F);
    layers_.push_back(std::move(layer));
  }
}

std::vector<SequenceOutput> Model::forward(std::vector<SequenceInput>& batch) {
  std::lock_guard<std::mutex> lock(forward_mutex_);
  const ModelConfig& c = config_;
  // Guided sequences get a twin over their unconditional tokens, appended to the same batch.
  const size_t requested = batch.size();
  const std::vector<size_t> twin_of = add_guidance_twins(batch);
  const Context ctx{kernels_, pool_};
  const int D = c.dim, QD = c.heads * c.head_dim, KD = c.kv_heads * c.head_dim;

  for (size_t s = 0; s < batch.size(); ++s) {
    check_sequence(batch[s], c, s);
    if (batch[s].cache && batch[s].cache->keys.empty()) {
      throw std::invalid_argument("sequence " + std::to_string(s) + ": the KV cache was made by another device's engine");
    }
    if (!batch[s].cache) {
      batch[s].cache = std::make_shared<KvCache>(c.layers, static_cast<int>(batch[s].tokens.size()), KD);
    }
  }
  const BatchLayout layout = lay_out(batch, requested);
  const std::vector<int>& offset = layout.offset;
  const int R = layout.rows();

  std::vector<float> x(static_cast<size_t>(R) * D), normed(x.size()), attn(static_cast<size_t>(R) * QD);
  std::vector<float> q(static_cast<size_t>(R) * QD), k(static_cast<size_t>(R) * KD), v(k.size());
  std::vector<float> gate(static_cast<size_t>(R) * c.ffn), up(gate.size());

  // x[r] = embed[token at that row]
  for (int r = 0; r < R; ++r) {
    const size_t row = static_cast<size_t>(layout.tokens[r]) * D;
    float* dst = x.data() + static_cast<size_t>(r) * D;
    if (embed_dtype_ == DType::F32) std::copy_n(embed_.data() + row, D, dst);
    else convert_to_f32(reinterpret_cast<const uint8_t*>(embed16_.data() + row), embed_dtype_, D, dst);
  }

  for (int l = 0; l < c.layers; ++l) {
    const Layer& layer = layers_[l];
    // Attention block: normed = norm(x); q, k, v projections; RoPE on q and k.
    rms_norm(ctx, x.data(), layer.attn_norm.data(), normed.data(), R, D, c.eps);
    gemm(ctx, normed.data(), R, layer.q, c.qkv_bias ? layer.q_bias.data() : nullptr, q.data(), false);
    gemm(ctx, normed.data(), R, layer.k, c.qkv_bias ? layer.k_bias.data() : nullptr, k.data(), false);
    gemm(ctx, normed.data(), R, layer.v, c.qkv_bias ? layer.v_bias.data() : nullptr, v.data(), false);
    rope(ctx, q.data(), layout.positions.data(), R, c.heads, c.head_dim, c.rope_theta);
    rope(ctx, k.data(), layout.positions.data(), R, c.kv_heads, c.head_dim, c.rope_theta);
    // Each sequence: store its new K/V rows in its cache, then attend over cache[0, attend_length).
    for (size_t s = 0; s < batch.size(); ++s) {
      SequenceInput& seq = batch[s];
      const size_t rows = static_cast<size_t>(offset[s + 1] - offset[s]);
      float* keys = seq.cache->layer_keys(l);
      float* values = seq.cache->layer_values(l);
      std::copy_n(k.data() + static_cast<size_t>(offset[s]) * KD, rows * KD, keys + static_cast<size_t>(seq.row_begin) * KD);
      std::copy_n(v.data() + static_cast<size_t>(offset[s]) * KD, rows * KD, values + static_cast<size_t>(seq.row_begin) * KD);
      attention(ctx, q.data() + static_cast<size_t>(offset[s]) * QD, static_cast<int>(rows), keys, values,
                seq.attend_length, c.heads, c.kv_heads, c.head_dim, attn.data() + static_cast<size_t>(offset[s]) * QD);
    }
    gemm(ctx, attn.data(), R, layer.o, nullptr, x.data(), true);  // x += attn · Woᵀ
    // MLP block: x += down(silu(gate(m)) * up(m)), m = norm(x)
    rms_norm(ctx, x.data(), layer.ffn_norm.data(), normed.data(), R, D, c.eps);
    gemm(ctx, normed.data(), R, layer.gate, nullptr, gate.data(), false);
    gemm(ctx, normed.data(), R, layer.up, nullptr, up.data(), false);
    silu_mul(ctx, gate.data(), up.data(), gate.data(), static_cast<int64_t>(gate.size()));
    gemm(ctx, gate.data(), R, layer.down, nullptr, x.data(), true);
  }

  // The LM head runs only on the rows a sampler asked about; row i of `logits` is head row i.
  const int HR = static_cast<int>(layout.head_rows.size());
  std::vector<float> gathered(static_cast<size_t>(HR) * D), final_rows(gathered.size());
  for (int i = 0; i < HR; ++i) {
    std::copy_n(x.data() + static_cast<size_t>(layout.head_rows[i]) * D, D, gathered.data() + static_cast<size_t>(i) * D);
  }
  rms_norm(ctx, gathered.data(), final_norm_.data(), final_rows.data(), HR, D, c.eps);
  std::vector<float> logits(static_cast<size_t>(HR) * c.vocab);
  if (HR > 0) gemm(ctx, final_rows.data(), HR, head_, nullptr, logits.data(), false);

  const std::vector<size_t>&owner = layout.owner, &first_stat = layout.first_stat;
  // Guidance: l = l_u + (g + 1)(l_c − l_u), in place in the guided sequence's rows.
  for (size_t s = 0; s < requested; ++s) {
    if (batch[s].guidance <= 0) continue;
    const float g = batch[s].guidance;
    const size_t rows = batch[s].stat_rows.size();
    float* conditional = logits.data() + first_stat[s] * c.vocab;
    const float* unconditional = logits.data() + first_stat[twin_of[s]] * c.vocab;
    for (size_t i = 0; i < rows * c.vocab; ++i) conditional[i] = unconditional[i] + (g + 1) * (conditional[i] - unconditional[i]);
  }
  const size_t answered = layout.answered;
  std::vector<RowStats> stats(answered);
  pool_.parallel_for(answered, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const SequenceInput& seq = batch[owner[i]];
      stats[i] = row_stats(logits.data() + i * c.vocab, c.vocab, seq.sampling, layout.stat_position[i], seq.step);
    }
  });
  std::vector<SequenceOutput> outputs(requested);
  for (size_t i = 0; i < answered; ++i) {
    SequenceOutput& out = outputs[owner[i]];
    out.stats.push_back(stats[i]);
    if (batch[owner[i]].want_logits) {
      out.logits.insert(out.logits.end(), logits.begin() + i * c.vocab, logits.begin() + (i + 1) * c.vocab);
    }
  }
  return outputs;
}

}  // namespace anneal
