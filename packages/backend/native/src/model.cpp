// Loading weights into the engine's layout, and the forward pass.
//
// Shapes: R = rows computed this pass (all sequences together), D = dim, H/KV = query/key-value
// heads, Dh = head dim, F = ffn size, V = vocab. Linear weights are W[out][in].
#include "model.h"

#include <algorithm>
#include <stdexcept>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "weight_reader.h"

namespace anneal {

QuantizeChoice parse_quantize_choice(const std::string& name) {
  if (name.empty() || name == "none") return QuantizeChoice::None;
  if (name == "q8_0") return QuantizeChoice::Q8_0;
  if (name == "q4_k") return QuantizeChoice::Q4_K;
  throw std::invalid_argument("quantize must be \"q8_0\" or \"q4_k\" (got \"" + name + "\")");
}

// The quantized type a float matrix of row length k becomes. Q4_K follows llama.cpp's Q4_K_M in
// spirit: the LM head (the most sensitive matrix) gets Q6_K; rows that are not whole super-blocks
// fall back to Q8_0; and rows that are not whole blocks of 32 stay as stored.
static DType quantized_type(QuantizeChoice choice, int64_t k, bool head) {
  if (choice == QuantizeChoice::None || k % 32 != 0) return DType::F32;
  if (choice == QuantizeChoice::Q8_0 || k % 256 != 0) return DType::Q8_0;
  return head ? DType::Q6_K : DType::Q4_K;
}

Model::Model(const ModelConfig& config, const std::vector<std::string>& files,
             const std::map<std::string, TensorSource>& tensors, size_t threads, QuantizeChoice quantize, bool bf16_dot)
    : config_(config), kernels_(best_kernels()), pool_(threads), bf16_dot_(bf16_dot && kernels_.bf16_dot != nullptr) {
  check_config(config_);
  WeightReader reader(files, tensors);
  const int64_t D = config_.dim, V = config_.vocab, F = config_.ffn;
  const int64_t QD = static_cast<int64_t>(config_.heads) * config_.head_dim;
  const int64_t KD = static_cast<int64_t>(config_.kv_heads) * config_.head_dim;
  std::map<std::string, size_t> bytes_by_format;  // for weight_format(): which storage holds the most

  auto count = [&](const PackedWeight& w, size_t mapped_bytes) {
    const size_t bytes = w.resident_bytes() + mapped_bytes;
    bytes_by_format[dtype_name(w.dtype)] += bytes;
    weight_bytes_ += bytes;
  };
  // A matrix in its stored form: quantized ones in place, floats repacked (or quantized if asked).
  // The router stays as stored (llama.cpp's quantizer leaves it too): it is small, and a choice of
  // experts flipped by rounding changes a row's output far more than rounding inside an expert does.
  enum class Role { Matrix, Head, Router };
  auto linear = [&](const std::string& key, int64_t out, int64_t in, Role role = Role::Matrix) {
    parameters_ += out * in;
    const DType stored = reader.dtype(key);
    PackedWeight w;
    size_t mapped = 0;
    const QuantizeChoice asked = role == Role::Router ? QuantizeChoice::None : quantize;
    if (is_quantized(stored)) {
      const WeightReader::View view = reader.view(key, {out, in});
      w = quantized_view(view.bytes, static_cast<int>(out), static_cast<int>(in), stored, view.file);
      MappedFile::will_need(view.bytes, w.row_bytes * out);  // read through once, by a repack or the first forward
      if (use_quant_panels(kernels_, pool_, w)) {
        MappedFile::release_pages(view.bytes, tensor_bytes(stored, static_cast<size_t>(out * in)));  // copied
      } else {
        mapped = w.row_bytes * out;
      }
    } else if (const DType target = quantized_type(asked, in, role == Role::Head); target != DType::F32) {
      const std::vector<float> values = reader.read(key, {out, in});
      w = quantize_weight(values.data(), static_cast<int>(out), static_cast<int>(in), target, pool_);
      use_quant_panels(kernels_, pool_, w);
    } else if (stored != DType::F32) {
      const std::vector<uint16_t> bits = reader.read16(key, {out, in});
      w = pack_weight_16(bits.data(), static_cast<int>(out), static_cast<int>(in), stored);
    } else {
      const std::vector<float> values = reader.read(key, {out, in});
      w = pack_weight(values.data(), static_cast<int>(out), static_cast<int>(in));
    }
    count(w, mapped);
    return w;
  };
  auto vector = [&](const std::string& key, int64_t n) {
    parameters_ += n;
    return reader.read(key, {n});
  };

  // The embedding is looked up a row at a time, so its rows serve in place whatever their dtype.
  embed_dtype_ = reader.dtype("embed");
  parameters_ += V * D;
  const DType asked = quantized_type(quantize, D, false);
  if (!is_quantized(embed_dtype_) && asked != DType::F32) {  // quantized at load
    const DType embed_target = asked;
    const std::vector<float> values = reader.read("embed", {V, D});
    PackedWeight quantized = quantize_weight(values.data(), static_cast<int>(V), static_cast<int>(D), embed_target, pool_);
    embed_dtype_ = embed_target;
    embed_owned_ = std::move(quantized.owned);
    embed_ = embed_owned_.data();
  } else if (is_quantized(embed_dtype_)) {  // used in place, like the file's other quantized blocks
    const WeightReader::View view = reader.view("embed", {V, D});
    embed_ = view.bytes;
    embed_file_ = view.file;
  } else {
    // A float file's other matrices are copied into panels, so its mapping is let go after loading
    // (else its pages would count a second time); the embedding's rows are copied as stored.
    const WeightReader::View view = reader.view("embed", {V, D});
    embed_owned_.assign(view.bytes, view.bytes + tensor_bytes(embed_dtype_, static_cast<size_t>(V * D)));
    embed_ = embed_owned_.data();
  }
  embed_row_bytes_ = tensor_bytes(embed_dtype_, static_cast<size_t>(D));
  bytes_by_format[dtype_name(embed_dtype_)] += embed_row_bytes_ * V;
  weight_bytes_ += embed_row_bytes_ * V;
  final_norm_ = vector("final_norm", D);
  if (!config_.tied_embeddings) {
    head_ = linear("head", V, D, Role::Head);
  } else if (is_quantized(embed_dtype_)) {  // the same rows serve as the head's (or its panels' source)
    head_ = quantized_view(embed_, static_cast<int>(V), static_cast<int>(D), embed_dtype_,
                           embed_file_ ? embed_file_ : std::shared_ptr<const void>());
    if (use_quant_panels(kernels_, pool_, head_) && embed_file_) {
      MappedFile::release_pages(embed_, embed_row_bytes_ * V);  // copied; rows are paged in again as looked up
    }
    count(head_, 0);
  } else if (embed_dtype_ == DType::F32) {
    head_ = pack_weight(reinterpret_cast<const float*>(embed_), static_cast<int>(V), static_cast<int>(D));
    count(head_, 0);
  } else {
    const std::vector<uint16_t> bits = reader.read16("embed", {V, D});
    head_ = pack_weight_16(bits.data(), static_cast<int>(V), static_cast<int>(D), embed_dtype_);
    count(head_, 0);
  }
  for (int i = 0; i < config_.layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    Layer layer;
    layer.attn_norm = vector(p + "attn_norm", D);
    layer.q = linear(p + "q", QD, D);
    layer.k = linear(p + "k", KD, D);
    // q and k used in place keep llama.cpp's interleaved row order; the layer's RoPE pairs follow it.
    // (Copies were put back in rotate-half order by the reader.)
    const bool q_in_place = reader.interleaved(p + "q") && is_quantized(reader.dtype(p + "q"));
    const bool k_in_place = reader.interleaved(p + "k") && is_quantized(reader.dtype(p + "k"));
    if (q_in_place != k_in_place) {
      throw std::invalid_argument("layer " + std::to_string(i) + ": q and k must both be quantized or both not");
    }
    if (q_in_place) layer.rope_pairs = RopePairs::Interleaved;
    layer.v = linear(p + "v", KD, D);
    if (config_.qkv_bias) {
      layer.q_bias = vector(p + "q_bias", QD);
      layer.k_bias = vector(p + "k_bias", KD);
      layer.v_bias = vector(p + "v_bias", KD);
      if (q_in_place) {  // the reader put the biases in rotate-half order; the in-place rows are not
        throw std::invalid_argument("layer " + std::to_string(i) + ": interleaved q/k rows with biases are not supported");
      }
    }
    if (config_.qk_norm) {
      if (q_in_place) throw std::invalid_argument("layer " + std::to_string(i) + ": interleaved q/k rows with q/k norms are not supported");
      layer.q_norm = vector(p + "q_norm", config_.head_dim);
      layer.k_norm = vector(p + "k_norm", config_.head_dim);
    }
    layer.o = linear(p + "o", D, QD);
    layer.ffn_norm = vector(p + "ffn_norm", D);
    auto swiglu_of = [&](const std::string& prefix, int64_t width) {
      return SwiGlu{linear(prefix + "gate", width, D), linear(prefix + "up", width, D), linear(prefix + "down", D, width)};
    };
    layer.moe = config_.is_moe_layer(i);
    if (layer.moe) {
      Mixture& m = layer.mixture;
      m.router = linear(p + "router", config_.experts, D, Role::Router);
      if (config_.expert_bias) m.expert_bias = vector(p + "expert_bias", config_.experts);
      for (int e = 0; e < config_.experts; ++e) {
        m.experts.push_back(swiglu_of(p + "experts." + std::to_string(e) + ".", config_.expert_ffn));
      }
      m.has_shared = config_.shared_expert_ffn > 0;
      if (m.has_shared) m.shared = swiglu_of(p + "shared.", config_.shared_expert_ffn);
      m.rule = router_rule(config_);
    } else {
      layer.mlp = swiglu_of(p, F);
    }
    layers_.push_back(std::move(layer));
  }
#ifdef __GLIBC__
  // Loading went through many float buffers as large as a matrix; hand their memory back to the
  // system, so resident memory after loading is the weights' (glibc otherwise keeps it for reuse).
  malloc_trim(0);
#endif
  // The format holding the most bytes first, then any others: "Q4_K+Q6_K", "BF16", …
  std::vector<std::pair<size_t, std::string>> formats;
  for (const auto& [name, bytes] : bytes_by_format) formats.emplace_back(bytes, name);
  std::sort(formats.rbegin(), formats.rend());
  for (const auto& [bytes, name] : formats) weight_format_ += (weight_format_.empty() ? "" : "+") + name;
}

std::vector<SequenceOutput> Model::forward(std::vector<SequenceInput>& batch) {
  std::lock_guard<std::mutex> lock(forward_mutex_);
  const ModelConfig& c = config_;
  // Guided sequences get a twin over their unconditional tokens, appended to the same batch.
  const size_t requested = batch.size();
  const std::vector<size_t> twin_of = add_guidance_twins(batch);
  const Context ctx{kernels_, pool_, bf16_dot_};
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

  // x[r] = embed[token at that row]
  for (int r = 0; r < R; ++r) {
    float* dst = x.data() + static_cast<size_t>(r) * D;
    convert_to_f32(embed_ + embed_row_bytes_ * layout.tokens[r], embed_dtype_, D, dst);
  }

  for (int l = 0; l < c.layers; ++l) {
    const Layer& layer = layers_[l];
    // Attention block: normed = norm(x); q, k, v projections; RoPE on q and k.
    rms_norm(ctx, x.data(), layer.attn_norm.data(), normed.data(), R, D, c.eps);
    gemm(ctx, normed.data(), R, layer.q, c.qkv_bias ? layer.q_bias.data() : nullptr, q.data(), false);
    gemm(ctx, normed.data(), R, layer.k, c.qkv_bias ? layer.k_bias.data() : nullptr, k.data(), false);
    gemm(ctx, normed.data(), R, layer.v, c.qkv_bias ? layer.v_bias.data() : nullptr, v.data(), false);
    if (c.qk_norm) {  // each head of q and k normalised on its own, before RoPE
      rms_norm(ctx, q.data(), layer.q_norm.data(), q.data(), R * c.heads, c.head_dim, c.eps);
      rms_norm(ctx, k.data(), layer.k_norm.data(), k.data(), R * c.kv_heads, c.head_dim, c.eps);
    }
    rope(ctx, q.data(), layout.positions.data(), R, c.heads, c.head_dim, c.rope_theta, false, layer.rope_pairs,
         c.rotated_dims());
    rope(ctx, k.data(), layout.positions.data(), R, c.kv_heads, c.head_dim, c.rope_theta, false, layer.rope_pairs,
         c.rotated_dims());
    // Each sequence: store its new K/V rows in its cache, then attend over cache[0, attend_length)
    // (for block-causal models, each row only up to the end of its block).
    for (size_t s = 0; s < batch.size(); ++s) {
      SequenceInput& seq = batch[s];
      const size_t rows = static_cast<size_t>(offset[s + 1] - offset[s]);
      float* keys = seq.cache->layer_keys(l);
      float* values = seq.cache->layer_values(l);
      std::copy_n(k.data() + static_cast<size_t>(offset[s]) * KD, rows * KD, keys + static_cast<size_t>(seq.row_begin) * KD);
      std::copy_n(v.data() + static_cast<size_t>(offset[s]) * KD, rows * KD, values + static_cast<size_t>(seq.row_begin) * KD);
      // Rows of one block see the same keys (all of them without blocks): one attention call per run.
      for_each_attention_run(seq, [&](int first, int last, int limit) {
        const size_t at = static_cast<size_t>(offset[s] + first - seq.row_begin) * QD;
        attention(ctx, q.data() + at, last - first, keys, values, limit, c.heads, c.kv_heads, c.head_dim,
                  attn.data() + at);
      });
    }
    gemm(ctx, attn.data(), R, layer.o, nullptr, x.data(), true);  // x += attn · Woᵀ
    // MLP block: x += mlp(m), m = norm(x); the MLP is down(silu(gate(m)) * up(m)) or a mixture of them.
    rms_norm(ctx, x.data(), layer.ffn_norm.data(), normed.data(), R, D, c.eps);
    if (layer.moe) {
      mixture_forward(ctx, normed.data(), R, layer.mixture, x.data());
    } else {
      swiglu(ctx, normed.data(), R, layer.mlp, x.data(), true);
    }
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
      const uint8_t* allowed = allowed_tokens(seq, i - first_stat[owner[i]], c.vocab);
      stats[i] = row_stats(logits.data() + i * c.vocab, c.vocab, seq.sampling, layout.stat_position[i], seq.step, allowed);
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
