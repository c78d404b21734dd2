// Dense and mixture-of-experts MLPs. The softmax mixture follows LLaDA-MoE's published block
// (modeling_lladamoe.py, LLaDAMoESparseMoeBlock): softmax over the router's logits in float, the
// expert bias (if any) added to those probabilities, top-k, weights not renormalised unless the
// model says so, and a shared expert's output added on top. The sigmoid mixture follows LLaDA2's
// (modeling_llada2_moe.py, LLaDA2MoeGate and LLaDA2MoeSparseMoeBlock): sigmoid scores, the bias only
// for choosing, group-limited top-k, weights renormalised and scaled by routed_scaling_factor.
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

RouterRule router_rule(const ModelConfig& c) {
  return RouterRule{c.experts_per_token, c.norm_top_k, c.router_sigmoid, c.expert_groups, c.expert_groups_kept,
                    c.routed_scale};
}

// One row's scores (what the weights are read from) and choice scores (what decides, bias included).
static void score_row(const float* row, int experts, const std::vector<float>& bias, bool sigmoid, float* scores,
                      float* choice) {
  if (sigmoid) {
    for (int e = 0; e < experts; ++e) scores[e] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(row[e]))));
  } else {
    const float top = *std::max_element(row, row + experts);
    double total = 0;
    for (int e = 0; e < experts; ++e) total += std::exp(static_cast<double>(row[e]) - top);
    for (int e = 0; e < experts; ++e) scores[e] = static_cast<float>(std::exp(static_cast<double>(row[e]) - top) / total);
  }
  for (int e = 0; e < experts; ++e) choice[e] = scores[e] + (bias.empty() ? 0.0f : bias[e]);
  // LLaDA-MoE's softmax router weighs the chosen experts by the biased values it chose them by.
  if (!sigmoid) std::copy_n(choice, experts, scores);
}

// Hides (sets to −∞) the choice scores of experts outside the `kept` best of `groups` equal groups,
// each group scored by the sum of its two best choice scores (LLaDA2's group_limited_topk).
static void keep_best_groups(float* choice, int experts, int groups, int kept) {
  if (groups <= 1 || kept >= groups) return;
  const int size = experts / groups;
  std::vector<float> group_score(groups);
  for (int g = 0; g < groups; ++g) {
    float best = -INFINITY, second = -INFINITY;
    for (int e = g * size; e < (g + 1) * size; ++e) {
      if (choice[e] > best) second = best, best = choice[e];
      else if (choice[e] > second) second = choice[e];
    }
    group_score[g] = best + second;
  }
  std::vector<int> order(groups);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + kept, order.end(), [&](int a, int b) {
    return group_score[a] > group_score[b] || (group_score[a] == group_score[b] && a < b);
  });
  std::vector<uint8_t> keep(groups, 0);
  for (int j = 0; j < kept; ++j) keep[order[j]] = 1;
  for (int e = 0; e < experts; ++e) {
    if (!keep[e / size]) choice[e] = -INFINITY;
  }
}

Routing route(const float* logits, int rows, int experts, const std::vector<float>& bias, const RouterRule& rule) {
  const int top_k = rule.top_k;
  Routing routing;
  routing.expert.resize(static_cast<size_t>(rows) * top_k);
  routing.weight.resize(routing.expert.size());
  std::vector<float> scores(experts), choice(experts);
  std::vector<int32_t> order(experts);
  for (int r = 0; r < rows; ++r) {
    score_row(logits + static_cast<size_t>(r) * experts, experts, bias, rule.sigmoid, scores.data(), choice.data());
    keep_best_groups(choice.data(), experts, rule.groups, rule.groups_kept);
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + top_k, order.end(),
                      [&](int32_t a, int32_t b) { return choice[a] > choice[b] || (choice[a] == choice[b] && a < b); });
    float sum = 0;
    for (int j = 0; j < top_k; ++j) sum += scores[order[j]];
    for (int j = 0; j < top_k; ++j) {
      const float weight = rule.norm_top_k ? scores[order[j]] / sum : scores[order[j]];
      routing.expert[static_cast<size_t>(r) * top_k + j] = order[j];
      routing.weight[static_cast<size_t>(r) * top_k + j] = weight * rule.scale;
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
  const int D = mixture.router.k, K = mixture.rule.top_k;
  std::vector<float> logits(static_cast<size_t>(rows) * experts);
  gemm(ctx, normed, rows, mixture.router, nullptr, logits.data(), false);
  const Routing routing = route(logits.data(), rows, experts, mixture.expert_bias, mixture.rule);

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
