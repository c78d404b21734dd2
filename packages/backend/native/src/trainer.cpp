// The training forward and backward passes. Shapes: B sequences of T tokens, N = B·T rows, D dim,
// H/KV heads, Dh head dim (QD = H·Dh, KD = KV·Dh), F ffn size, V vocab, L rows that carry a loss.
// Linear weights are W[out][in]: y = x · Wᵀ, so dx = dy · W and dW += dyᵀ · x.
#include "trainer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "weight_reader.h"

namespace anneal {

namespace {

// ---- building blocks ------------------------------------------------------------------------------

// dst[c][r] = src[r][c] for a rows × cols block with row stride `stride`. In 32 × 32 tiles, so both
// sides stay in cache (a plain column-order write misses on every element at these sizes), split
// over the threads by column tiles, which own disjoint rows of dst.
void transpose(const Context& ctx, const float* src, int rows, int cols, size_t stride, std::vector<float>& dst) {
  constexpr int TILE = 32;
  dst.resize(static_cast<size_t>(rows) * cols);
  float* out = dst.data();
  ctx.pool.parallel_for((cols + TILE - 1) / TILE, [&](size_t begin, size_t end) {
    for (size_t tile = begin; tile < end; ++tile) {
      const int c0 = static_cast<int>(tile) * TILE, c1 = std::min(cols, c0 + TILE);
      for (int r0 = 0; r0 < rows; r0 += TILE) {
        const int r1 = std::min(rows, r0 + TILE);
        for (int r = r0; r < r1; ++r) {
          for (int c = c0; c < c1; ++c) out[static_cast<size_t>(c) * rows + r] = src[r * stride + c];
        }
      }
    }
  });
}

// y[N][out] = x[N][in] · Wᵀ (+ bias)
void linear_forward(const Context& ctx, const float* x, int rows, const TrainTensor& w, const TrainTensor* bias,
                    float* y) {
  const int out = static_cast<int>(w.shape[0]), in = static_cast<int>(w.shape[1]);
  matmul_bt(ctx, x, in, rows, w.value.data(), in, out, in, y, out, false);
  if (bias) {
    for (int r = 0; r < rows; ++r) {
      for (int j = 0; j < out; ++j) y[static_cast<size_t>(r) * out + j] += bias->value[j];
    }
  }
}

// Given dy[N][out]: dx (+)= dy · W (when dx is given), dW += dyᵀ · x, dbias += Σ_rows dy.
void linear_backward(const Context& ctx, const float* x, int rows, TrainTensor& w, TrainTensor* bias, const float* dy,
                     float* dx, bool accumulate_dx) {
  const int out = static_cast<int>(w.shape[0]), in = static_cast<int>(w.shape[1]);
  if (dx) matmul(ctx, dy, out, rows, w.value.data(), in, out, in, dx, in, accumulate_dx);
  std::vector<float> dy_t;
  transpose(ctx, dy, rows, out, out, dy_t);
  matmul(ctx, dy_t.data(), rows, out, x, in, rows, in, w.grad.data(), in, true);
  if (bias) {
    ctx.pool.parallel_for(out, [&](size_t begin, size_t end) {
      for (size_t j = begin; j < end; ++j) {
        float sum = 0;
        for (int r = 0; r < rows; ++r) sum += dy[static_cast<size_t>(r) * out + j];
        bias->grad[j] += sum;
      }
    });
  }
}

// y = x · inv_rms · w, keeping inv_rms per row for the backward pass.
void rms_norm_forward(const Context& ctx, const float* x, const TrainTensor& w, float* y, float* inv_rms, int rows,
                      int dim, float eps) {
  ctx.pool.parallel_for(rows, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* in = x + r * dim;
      double square = 0;
      for (int i = 0; i < dim; ++i) square += static_cast<double>(in[i]) * in[i];
      inv_rms[r] = static_cast<float>(1.0 / std::sqrt(square / dim + eps));
      for (int i = 0; i < dim; ++i) y[r * dim + i] = in[i] * inv_rms[r] * w.value[i];
    }
  });
}

// With g = dy·w:  dx (+)= r·g − x·(r³/D)·Σ(g·x);  dw += Σ_rows dy·x·r.
void rms_norm_backward(const Context& ctx, const float* x, TrainTensor& w, const float* inv_rms, const float* dy,
                       float* dx, int rows, int dim) {
  ctx.pool.parallel_for(rows, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* in = x + r * dim;
      const float* d = dy + r * dim;
      const float ir = inv_rms[r];
      double dot = 0;
      for (int i = 0; i < dim; ++i) dot += static_cast<double>(d[i]) * w.value[i] * in[i];
      const float coefficient = static_cast<float>(dot) * ir * ir * ir / dim;
      for (int i = 0; i < dim; ++i) dx[r * dim + i] += ir * d[i] * w.value[i] - in[i] * coefficient;
    }
  });
  ctx.pool.parallel_for(dim, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      double sum = 0;
      for (int r = 0; r < rows; ++r) sum += static_cast<double>(dy[static_cast<size_t>(r) * dim + i]) * x[static_cast<size_t>(r) * dim + i] * inv_rms[r];
      w.grad[i] += static_cast<float>(sum);
    }
  });
}

struct LayerActivations {
  std::vector<float> x_in, n1, inv1, q, k, v, probs, attn, x_mid, n2, inv2, gate, up, act;
};

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

struct TrainWorkspace {
  std::vector<LayerActivations> layers;
  std::vector<float> x, projected, x_rows, normed, inv_final, logits, d_normed, d_rows, dx;
  std::vector<float> d_act, d_gate, d_up, d_n, d_attn, dq, dk, dv, probs_t, ds_t, d_probs;
};

Trainer::~Trainer() = default;

// ---- parameters -----------------------------------------------------------------------------------

void Trainer::build_tensors() {
  const ModelConfig& c = config_;
  check_config(c);
  if (c.experts > 0 || c.qk_norm) throw std::invalid_argument("the trainer trains dense LLaDA-style models, not mixtures of experts");
  if (c.rotated_dims() != c.head_dim) throw std::invalid_argument("the trainer rotates whole heads, not partial rotary embeddings");
  const int64_t QD = static_cast<int64_t>(c.heads) * c.head_dim, KD = static_cast<int64_t>(c.kv_heads) * c.head_dim;
  auto add = [&](const std::string& key, std::vector<int64_t> shape, bool decay) {
    TrainTensor t;
    t.key = key;
    t.shape = shape;
    size_t count = 1;
    for (int64_t d : shape) count *= static_cast<size_t>(d);
    t.value.assign(count, 0.0f);
    t.grad.assign(count, 0.0f);
    t.m.assign(count, 0.0f);
    t.v.assign(count, 0.0f);
    t.decay = decay;
    index_[key] = tensors_.size();
    tensors_.push_back(std::move(t));
  };
  add("embed", {c.vocab, c.dim}, true);
  add("final_norm", {c.dim}, false);
  if (!c.tied_embeddings) add("head", {c.vocab, c.dim}, true);
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    add(p + "attn_norm", {c.dim}, false);
    add(p + "q", {QD, c.dim}, true);
    add(p + "k", {KD, c.dim}, true);
    add(p + "v", {KD, c.dim}, true);
    if (c.qkv_bias) {
      add(p + "q_bias", {QD}, false);
      add(p + "k_bias", {KD}, false);
      add(p + "v_bias", {KD}, false);
    }
    add(p + "o", {c.dim, QD}, true);
    add(p + "ffn_norm", {c.dim}, false);
    add(p + "gate", {c.ffn, c.dim}, true);
    add(p + "up", {c.ffn, c.dim}, true);
    add(p + "down", {c.dim, c.ffn}, true);
  }
}

Trainer::Trainer(const ModelConfig& config, uint64_t seed, size_t threads)
    : config_(config), kernels_(best_kernels()), pool_(threads), workspace_(std::make_unique<TrainWorkspace>()) {
  build_tensors();
  uint64_t state = seed * 0x2545F4914F6CDD1Dull + 1;
  const float residual_scale = 1.0f / std::sqrt(2.0f * config_.layers);
  for (TrainTensor& t : tensors_) {
    const std::string leaf = t.key.substr(t.key.rfind('.') + 1);
    if (leaf == "attn_norm" || leaf == "ffn_norm" || leaf == "final_norm") {
      std::fill(t.value.begin(), t.value.end(), 1.0f);
    } else if (leaf.size() > 5 && leaf.compare(leaf.size() - 5, 5, "_bias") == 0) {
      // biases start at zero
    } else {
      const float std = 0.02f * ((leaf == "o" || leaf == "down") ? residual_scale : 1.0f);
      for (size_t i = 0; i < t.value.size(); i += 2) {  // Box–Muller pairs
        const double u1 = (static_cast<double>(splitmix(state) >> 11) + 0.5) / 9007199254740992.0;
        const double u2 = (static_cast<double>(splitmix(state) >> 11) + 0.5) / 9007199254740992.0;
        const double radius = std::sqrt(-2.0 * std::log(u1));
        t.value[i] = static_cast<float>(std * radius * std::cos(2 * M_PI * u2));
        if (i + 1 < t.value.size()) t.value[i + 1] = static_cast<float>(std * radius * std::sin(2 * M_PI * u2));
      }
    }
  }
}

Trainer::Trainer(const ModelConfig& config, const std::vector<std::string>& files,
                 const std::map<std::string, TensorSource>& sources, size_t threads)
    : config_(config), kernels_(best_kernels()), pool_(threads), workspace_(std::make_unique<TrainWorkspace>()) {
  build_tensors();
  WeightReader reader(files, sources);
  for (TrainTensor& t : tensors_) t.value = reader.read(t.key, t.shape);
}

TrainTensor& Trainer::tensor(const std::string& key) {
  auto found = index_.find(key);
  if (found == index_.end()) throw std::invalid_argument("no trainable tensor " + key);
  return tensors_[found->second];
}

// ---- one pass, one operation at a time ------------------------------------------------------------

// What every step of one pass shares: its shape, each row's position, and the rows that carry a loss.
struct Trainer::Pass {
  Context ctx;
  const TrainBatch& batch;
  int B, T, N;
  std::vector<int32_t> positions;  // [N] each row's place in its sequence
  std::vector<int> loss_rows;      // the rows with a nonzero loss weight
};

void Trainer::check_batch(const TrainBatch& batch) const {
  const int N = batch.batch * batch.length, V = config_.vocab;
  if (batch.batch <= 0 || batch.length <= 0 || batch.inputs.size() != static_cast<size_t>(N) ||
      batch.targets.size() != static_cast<size_t>(N) || batch.weights.size() != static_cast<size_t>(N)) {
    throw std::invalid_argument("training batch: inputs, targets and weights must each hold batch × length values");
  }
  for (int i = 0; i < N; ++i) {
    if (batch.inputs[i] < 0 || batch.inputs[i] >= V || batch.targets[i] < 0 || batch.targets[i] >= V) {
      throw std::invalid_argument("training batch: token id outside the vocabulary");
    }
  }
}

TrainTensor* Trainer::bias(const std::string& key) { return config_.qkv_bias ? &tensor(key) : nullptr; }

// x[r] = embed[input r]
void Trainer::embedding_forward(const Pass& pass) {
  const int D = config_.dim;
  std::vector<float>& x = workspace_->x;
  x.resize(static_cast<size_t>(pass.N) * D);
  const TrainTensor& embed = tensor("embed");
  for (int r = 0; r < pass.N; ++r) {
    std::copy_n(embed.value.data() + static_cast<size_t>(pass.batch.inputs[r]) * D, D, x.data() + static_cast<size_t>(r) * D);
  }
}

// x += o(attention(rope(q(n1)), rope(k(n1)), v(n1))), n1 = norm(x); keeps what the backward pass needs.
void Trainer::attention_forward(const Pass& pass, int l) {
  const ModelConfig& c = config_;
  const Context& ctx = pass.ctx;
  const int N = pass.N, T = pass.T, H = c.heads, KV = c.kv_heads, Dh = c.head_dim, QD = H * Dh, KD = KV * Dh;
  const std::string p = "layers." + std::to_string(l) + ".";
  std::vector<float>& x = workspace_->x;
  LayerActivations& a = workspace_->layers[l];
  a.x_in = x;
  a.n1.resize(x.size());
  a.inv1.resize(N);
  rms_norm_forward(ctx, x.data(), tensor(p + "attn_norm"), a.n1.data(), a.inv1.data(), N, c.dim, c.eps);
  a.q.resize(static_cast<size_t>(N) * QD);
  a.k.resize(static_cast<size_t>(N) * KD);
  a.v.resize(static_cast<size_t>(N) * KD);
  linear_forward(ctx, a.n1.data(), N, tensor(p + "q"), bias(p + "q_bias"), a.q.data());
  linear_forward(ctx, a.n1.data(), N, tensor(p + "k"), bias(p + "k_bias"), a.k.data());
  linear_forward(ctx, a.n1.data(), N, tensor(p + "v"), bias(p + "v_bias"), a.v.data());
  rope(ctx, a.q.data(), pass.positions.data(), N, H, Dh, c.rope_theta);
  rope(ctx, a.k.data(), pass.positions.data(), N, KV, Dh, c.rope_theta);
  a.attn.resize(static_cast<size_t>(N) * QD);
  a.probs.resize(static_cast<size_t>(pass.B) * H * T * T);
  for (int b = 0; b < pass.B; ++b) {  // each sequence attends within itself
    attention(ctx, a.q.data() + static_cast<size_t>(b) * T * QD, T, a.k.data() + static_cast<size_t>(b) * T * KD,
              a.v.data() + static_cast<size_t>(b) * T * KD, T, H, KV, Dh, a.attn.data() + static_cast<size_t>(b) * T * QD,
              a.probs.data() + static_cast<size_t>(b) * H * T * T);
  }
  std::vector<float>& projected = workspace_->projected;
  projected.resize(x.size());
  linear_forward(ctx, a.attn.data(), N, tensor(p + "o"), nullptr, projected.data());
  for (size_t i = 0; i < x.size(); ++i) x[i] += projected[i];
}

// x += down(silu(gate(n2)) · up(n2)), n2 = norm(x)
void Trainer::mlp_forward(const Pass& pass, int l) {
  const ModelConfig& c = config_;
  const Context& ctx = pass.ctx;
  const int N = pass.N;
  const std::string p = "layers." + std::to_string(l) + ".";
  std::vector<float>& x = workspace_->x;
  LayerActivations& a = workspace_->layers[l];
  a.x_mid = x;
  a.n2.resize(x.size());
  a.inv2.resize(N);
  rms_norm_forward(ctx, x.data(), tensor(p + "ffn_norm"), a.n2.data(), a.inv2.data(), N, c.dim, c.eps);
  a.gate.resize(static_cast<size_t>(N) * c.ffn);
  a.up.resize(a.gate.size());
  a.act.resize(a.gate.size());
  linear_forward(ctx, a.n2.data(), N, tensor(p + "gate"), nullptr, a.gate.data());
  linear_forward(ctx, a.n2.data(), N, tensor(p + "up"), nullptr, a.up.data());
  pool_.parallel_for(a.act.size(), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) a.act[i] = a.gate[i] / (1.0f + std::exp(-a.gate[i])) * a.up[i];
  });
  std::vector<float>& projected = workspace_->projected;
  linear_forward(ctx, a.act.data(), N, tensor(p + "down"), nullptr, projected.data());
  for (size_t i = 0; i < x.size(); ++i) x[i] += projected[i];
}

// The loss rows: final norm, LM head, weighted cross-entropy. Each row: loss_i = w_i (logsumexp −
// l[target]); with `backward`, the logits become dlogits_i = w_i (softmax − onehot(target)) in place.
TrainResult Trainer::loss_forward(const Pass& pass, bool backward) {
  const ModelConfig& c = config_;
  TrainWorkspace& ws = *workspace_;
  const int D = c.dim, V = c.vocab, Lr = static_cast<int>(pass.loss_rows.size());
  ws.x_rows.resize(static_cast<size_t>(Lr) * D);
  ws.normed.resize(ws.x_rows.size());
  ws.inv_final.resize(Lr);
  for (int i = 0; i < Lr; ++i) {
    std::copy_n(ws.x.data() + static_cast<size_t>(pass.loss_rows[i]) * D, D, ws.x_rows.data() + static_cast<size_t>(i) * D);
  }
  rms_norm_forward(pass.ctx, ws.x_rows.data(), tensor("final_norm"), ws.normed.data(), ws.inv_final.data(), Lr, D, c.eps);
  const TrainTensor& head = tensor(c.tied_embeddings ? "embed" : "head");
  ws.logits.resize(static_cast<size_t>(Lr) * V);
  if (Lr > 0) matmul_bt(pass.ctx, ws.normed.data(), D, Lr, head.value.data(), D, V, D, ws.logits.data(), V, false);
  std::vector<double> row_loss(Lr);
  std::vector<uint8_t> row_correct(Lr);
  pool_.parallel_for(Lr, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      float* row = ws.logits.data() + i * V;
      const int target = pass.batch.targets[pass.loss_rows[i]];
      const float w = pass.batch.weights[pass.loss_rows[i]];
      int best = 0;
      for (int j = 1; j < V; ++j) {
        if (row[j] > row[best]) best = j;
      }
      const float max = row[best];
      double sum = 0;
      for (int j = 0; j < V; ++j) sum += std::exp(static_cast<double>(row[j]) - max);
      row_loss[i] = w * (std::log(sum) + max - row[target]);
      row_correct[i] = best == target;
      if (backward) {
        for (int j = 0; j < V; ++j) row[j] = static_cast<float>(w * std::exp(static_cast<double>(row[j]) - max) / sum);
        row[target] -= w;
      }
    }
  });
  TrainResult result;
  for (int i = 0; i < Lr; ++i) {
    result.loss += row_loss[i];
    result.correct += row_correct[i];
  }
  result.counted = Lr;
  return result;
}

// From dlogits back through the LM head and the final norm to dx (zero on rows without a loss).
void Trainer::loss_backward(const Pass& pass) {
  const ModelConfig& c = config_;
  TrainWorkspace& ws = *workspace_;
  const int D = c.dim, Lr = static_cast<int>(pass.loss_rows.size());
  ws.d_normed.assign(static_cast<size_t>(Lr) * D, 0.0f);
  ws.d_rows.assign(ws.d_normed.size(), 0.0f);
  TrainTensor& head = tensor(c.tied_embeddings ? "embed" : "head");
  if (Lr > 0) linear_backward(pass.ctx, ws.normed.data(), Lr, head, nullptr, ws.logits.data(), ws.d_normed.data(), false);
  rms_norm_backward(pass.ctx, ws.x_rows.data(), tensor("final_norm"), ws.inv_final.data(), ws.d_normed.data(),
                    ws.d_rows.data(), Lr, D);
  ws.dx.assign(ws.x.size(), 0.0f);
  for (int i = 0; i < Lr; ++i) {
    std::copy_n(ws.d_rows.data() + static_cast<size_t>(i) * D, D, ws.dx.data() + static_cast<size_t>(pass.loss_rows[i]) * D);
  }
}

// Every buffer below is fully written before it is read (dk and dv are cleared per layer).
void Trainer::mlp_backward(const Pass& pass, int l) {
  const Context& ctx = pass.ctx;
  TrainWorkspace& ws = *workspace_;
  const int N = pass.N;
  const std::string p = "layers." + std::to_string(l) + ".";
  LayerActivations& a = ws.layers[l];
  ws.d_act.resize(static_cast<size_t>(N) * config_.ffn);
  ws.d_gate.resize(ws.d_act.size());
  ws.d_up.resize(ws.d_act.size());
  ws.d_n.resize(ws.x.size());
  linear_backward(ctx, a.act.data(), N, tensor(p + "down"), nullptr, ws.dx.data(), ws.d_act.data(), false);
  pool_.parallel_for(ws.d_act.size(), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const float g = a.gate[i], s = 1.0f / (1.0f + std::exp(-g));
      ws.d_up[i] = ws.d_act[i] * g * s;
      ws.d_gate[i] = ws.d_act[i] * a.up[i] * s * (1.0f + g * (1.0f - s));
    }
  });
  linear_backward(ctx, a.n2.data(), N, tensor(p + "gate"), nullptr, ws.d_gate.data(), ws.d_n.data(), false);
  linear_backward(ctx, a.n2.data(), N, tensor(p + "up"), nullptr, ws.d_up.data(), ws.d_n.data(), true);
  rms_norm_backward(ctx, a.x_mid.data(), tensor(p + "ffn_norm"), a.inv2.data(), ws.d_n.data(), ws.dx.data(), N, config_.dim);
}

void Trainer::attention_backward(const Pass& pass, int l) {
  const ModelConfig& c = config_;
  const Context& ctx = pass.ctx;
  TrainWorkspace& ws = *workspace_;
  const int N = pass.N, T = pass.T, H = c.heads, KV = c.kv_heads, Dh = c.head_dim, QD = H * Dh, KD = KV * Dh;
  const std::string p = "layers." + std::to_string(l) + ".";
  LayerActivations& a = ws.layers[l];
  ws.d_attn.resize(static_cast<size_t>(N) * QD);
  ws.dq.resize(static_cast<size_t>(N) * QD);
  ws.dk.assign(static_cast<size_t>(N) * KD, 0.0f);
  ws.dv.assign(ws.dk.size(), 0.0f);
  ws.d_probs.resize(static_cast<size_t>(T) * T);
  linear_backward(ctx, a.attn.data(), N, tensor(p + "o"), nullptr, ws.dx.data(), ws.d_attn.data(), false);
  const float scale = 1.0f / std::sqrt(static_cast<float>(Dh));
  for (int b = 0; b < pass.B; ++b) {
    const size_t qo = static_cast<size_t>(b) * T * QD, ko = static_cast<size_t>(b) * T * KD;
    for (int h = 0; h < H; ++h) {
      const int kvh = h / (H / KV);
      const float* P = a.probs.data() + (static_cast<size_t>(b) * H + h) * T * T;
      const float* dO = ws.d_attn.data() + qo + h * Dh;
      // dV += Pᵀ · dO ;  dP = dO · Vᵀ
      transpose(ctx, P, T, T, T, ws.probs_t);
      matmul(ctx, ws.probs_t.data(), T, T, dO, QD, T, Dh, ws.dv.data() + ko + kvh * Dh, KD, true);
      matmul_bt(ctx, dO, QD, T, a.v.data() + ko + kvh * Dh, KD, T, Dh, ws.d_probs.data(), T, false);
      // dS = P ⊙ (dP − Σ_j dP·P) · scale   (softmax backward, with the 1/√d of the scores)
      for (int i = 0; i < T; ++i) {
        float* dp = ws.d_probs.data() + static_cast<size_t>(i) * T;
        const float* pr = P + static_cast<size_t>(i) * T;
        double dot = 0;
        for (int j = 0; j < T; ++j) dot += static_cast<double>(dp[j]) * pr[j];
        for (int j = 0; j < T; ++j) dp[j] = pr[j] * (dp[j] - static_cast<float>(dot)) * scale;
      }
      // dQ = dS · K ;  dK += dSᵀ · Q
      matmul(ctx, ws.d_probs.data(), T, T, a.k.data() + ko + kvh * Dh, KD, T, Dh, ws.dq.data() + qo + h * Dh, QD, false);
      transpose(ctx, ws.d_probs.data(), T, T, T, ws.ds_t);
      matmul(ctx, ws.ds_t.data(), T, T, a.q.data() + qo + h * Dh, QD, T, Dh, ws.dk.data() + ko + kvh * Dh, KD, true);
    }
  }
  rope(ctx, ws.dq.data(), pass.positions.data(), N, H, Dh, c.rope_theta, true);
  rope(ctx, ws.dk.data(), pass.positions.data(), N, KV, Dh, c.rope_theta, true);
  linear_backward(ctx, a.n1.data(), N, tensor(p + "q"), bias(p + "q_bias"), ws.dq.data(), ws.d_n.data(), false);
  linear_backward(ctx, a.n1.data(), N, tensor(p + "k"), bias(p + "k_bias"), ws.dk.data(), ws.d_n.data(), true);
  linear_backward(ctx, a.n1.data(), N, tensor(p + "v"), bias(p + "v_bias"), ws.dv.data(), ws.d_n.data(), true);
  rms_norm_backward(ctx, a.x_in.data(), tensor(p + "attn_norm"), a.inv1.data(), ws.d_n.data(), ws.dx.data(), N, c.dim);
}

// embed.grad[input r] += dx[r]
void Trainer::embedding_backward(const Pass& pass) {
  const int D = config_.dim;
  TrainTensor& embed = tensor("embed");
  for (int r = 0; r < pass.N; ++r) {
    float* g = embed.grad.data() + static_cast<size_t>(pass.batch.inputs[r]) * D;
    const float* d = workspace_->dx.data() + static_cast<size_t>(r) * D;
    for (int i = 0; i < D; ++i) g[i] += d[i];
  }
}

double Trainer::gradient_norm() const {
  double square = 0;
  for (const TrainTensor& t : tensors_) {
    for (float g : t.grad) square += static_cast<double>(g) * g;
  }
  return std::sqrt(square);
}

// The forward pass, keeping what the backward pass needs; then (with `backward`) the backward pass,
// each operation's gradient in the reverse order of the forward.
TrainResult Trainer::run(const TrainBatch& batch, bool backward) {
  check_batch(batch);
  Pass pass{Context{kernels_, pool_}, batch, batch.batch, batch.length, batch.batch * batch.length, {}, {}};
  pass.positions.resize(pass.N);
  for (int r = 0; r < pass.N; ++r) pass.positions[r] = r % pass.T;
  for (int r = 0; r < pass.N; ++r) {
    if (batch.weights[r] != 0.0f) pass.loss_rows.push_back(r);
  }
  workspace_->layers.resize(config_.layers);

  embedding_forward(pass);
  for (int l = 0; l < config_.layers; ++l) {
    attention_forward(pass, l);
    mlp_forward(pass, l);
  }
  TrainResult result = loss_forward(pass, backward);
  if (!backward) return result;

  for (TrainTensor& t : tensors_) std::fill(t.grad.begin(), t.grad.end(), 0.0f);
  loss_backward(pass);
  for (int l = config_.layers - 1; l >= 0; --l) {
    mlp_backward(pass, l);
    attention_backward(pass, l);
  }
  embedding_backward(pass);
  result.grad_norm = gradient_norm();
  return result;
}

void Trainer::update(const AdamWParams& hp, double grad_norm) {
  ++step_count;
  const float clip_scale = (hp.clip > 0 && grad_norm > hp.clip) ? static_cast<float>(hp.clip / grad_norm) : 1.0f;
  const double correction1 = 1.0 - std::pow(static_cast<double>(hp.beta1), static_cast<double>(step_count));
  const double correction2 = 1.0 - std::pow(static_cast<double>(hp.beta2), static_cast<double>(step_count));
  for (TrainTensor& t : tensors_) {
    const float decay = t.decay ? hp.weight_decay : 0.0f;
    pool_.parallel_for(t.value.size(), [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        const float g = t.grad[i] * clip_scale;
        t.m[i] = hp.beta1 * t.m[i] + (1 - hp.beta1) * g;
        t.v[i] = hp.beta2 * t.v[i] + (1 - hp.beta2) * g * g;
        const double m_hat = t.m[i] / correction1, v_hat = t.v[i] / correction2;
        // decoupled weight decay (AdamW): shrink the weight, then take the Adam step
        t.value[i] -= hp.lr * (static_cast<float>(m_hat / (std::sqrt(v_hat) + hp.eps)) + decay * t.value[i]);
      }
    });
  }
}

TrainResult Trainer::step(const TrainBatch& batch, const AdamWParams& params) {
  TrainResult result = run(batch, true);
  update(params, result.grad_norm);
  return result;
}

TrainResult Trainer::gradients(const TrainBatch& batch) { return run(batch, true); }

TrainResult Trainer::evaluate(const TrainBatch& batch) { return run(batch, false); }

}  // namespace anneal
