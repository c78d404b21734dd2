// Dense and mixture-of-experts MLPs. The mixture follows LLaDA-MoE's published block
// (modeling_lladamoe.py, LLaDAMoESparseMoeBlock): softmax over the router's logits in float, the
// expert bias (if any) added to those probabilities, top-k, weights not renormalised unless the
// model says so, and a shared expert's output added on top.
#include "mixture.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace anneal {

void swiglu(const Context& ctx, const float* x, int rows, const SwiGlu& mlp, float* out, bool accumulate) {
  // Scratch kept per calling thread and only ever grown: a canvas's gate and up rows are tens of MB,
  // which a fresh allocation per layer would fault in page by page every time.
  thread_local std::vector<float> gate, up;
  const size_t size = static_cast<size_t>(rows) * mlp.gate.n;
  if (gate.size() < size) gate.resize(size), up.resize(size);
  gemm(ctx, x, rows, mlp.gate, nullptr, gate.data(), false);
  gemm(ctx, x, rows, mlp.up, nullptr, up.data(), false);
  silu_mul(ctx, gate.data(), up.data(), gate.data(), static_cast<int64_t>(size));
  gemm(ctx, gate.data(), rows, mlp.down, nullptr, out, accumulate);
}

Routing route(const float* logits, int rows, int experts, const std::vector<float>& bias, int top_k, bool norm_top_k) {
  Routing routing;
  routing.expert.resize(static_cast<size_t>(rows) * top_k);
  routing.weight.resize(routing.expert.size());
  std::vector<float> probs(experts);
  std::vector<int32_t> order(experts);
  for (int r = 0; r < rows; ++r) {
    const float* row = logits + static_cast<size_t>(r) * experts;
    const float top = *std::max_element(row, row + experts);
    double total = 0;
    for (int e = 0; e < experts; ++e) total += std::exp(static_cast<double>(row[e]) - top);
    for (int e = 0; e < experts; ++e) {
      probs[e] = static_cast<float>(std::exp(static_cast<double>(row[e]) - top) / total) + (bias.empty() ? 0.0f : bias[e]);
    }
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + top_k, order.end(),
                      [&](int32_t a, int32_t b) { return probs[a] > probs[b] || (probs[a] == probs[b] && a < b); });
    float sum = 0;
    for (int j = 0; j < top_k; ++j) sum += probs[order[j]];
    for (int j = 0; j < top_k; ++j) {
      routing.expert[static_cast<size_t>(r) * top_k + j] = order[j];
      routing.weight[static_cast<size_t>(r) * top_k + j] = norm_top_k ? probs[order[j]] / sum : probs[order[j]];
    }
  }
  return routing;
}

ExpertGroups group_by_expert(const Routing& routing, int rows, int experts, int top_k) {
  ExpertGroups groups;
  groups.first.assign(static_cast<size_t>(experts) + 1, 0);
  for (int32_t e : routing.expert) ++groups.first[static_cast<size_t>(e) + 1];
  for (int e = 0; e < experts; ++e) groups.first[e + 1] += groups.first[e];
  groups.rows.resize(routing.expert.size());
  groups.weights.resize(routing.expert.size());
  std::vector<int> next(groups.first.begin(), groups.first.end() - 1);
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < top_k; ++j) {
      const size_t at = static_cast<size_t>(r) * top_k + j;
      const int slot = next[routing.expert[at]]++;
      groups.rows[slot] = r;
      groups.weights[slot] = routing.weight[at];
    }
  }
  return groups;
}

void mixture_forward(const Context& ctx, const float* normed, int rows, const Mixture& mixture, float* x) {
  const int experts = static_cast<int>(mixture.experts.size());
  const int D = mixture.router.k, K = mixture.top_k;
  std::vector<float> logits(static_cast<size_t>(rows) * experts);
  gemm(ctx, normed, rows, mixture.router, nullptr, logits.data(), false);
  const Routing routing = route(logits.data(), rows, experts, mixture.expert_bias, K, mixture.norm_top_k);

  const ExpertGroups groups = group_by_expert(routing, rows, experts, K);
  std::vector<float> gathered, out;
  for (int e = 0; e < experts; ++e) {
    const int begin = groups.first[e], n = groups.first[e + 1] - begin;
    if (n == 0) continue;
    gathered.resize(static_cast<size_t>(n) * D);
    out.resize(gathered.size());
    for (int i = 0; i < n; ++i) {
      std::copy_n(normed + static_cast<size_t>(groups.rows[begin + i]) * D, D, gathered.data() + static_cast<size_t>(i) * D);
    }
    swiglu(ctx, gathered.data(), n, mixture.experts[e], out.data(), false);
    for (int i = 0; i < n; ++i) {
      float* target = x + static_cast<size_t>(groups.rows[begin + i]) * D;
      const float* source = out.data() + static_cast<size_t>(i) * D;
      const float w = groups.weights[begin + i];
      for (int d = 0; d < D; ++d) target[d] += w * source[d];
    }
  }
  if (mixture.has_shared) swiglu(ctx, normed, rows, mixture.shared, x, true);
}

}  // namespace anneal
