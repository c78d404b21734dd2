// The MLP half of a transformer block: a dense SwiGLU MLP, or a mixture of experts (LLaDA-MoE, LLaDA2) that
// routes each row to a few SwiGLU experts and runs every expert once over the rows routed to it.
#pragma once

#include <cstdint>
#include <vector>

#include "engine.h"
#include "ops.h"

namespace anneal {

// down(silu(gate(x)) · up(x)), W[out][in] as everywhere.
struct SwiGlu {
  PackedWeight gate, up, down;
};

// out[r] (+)= mlp(x[r]) for `rows` rows of w.gate.k values (out rows have w.down.n values).
void swiglu(const Context& ctx, const float* x, int rows, const SwiGlu& mlp, float* out, bool accumulate);

// How a router turns its logits into each row's experts and weights (engine.h's ModelConfig says
// what each field means).
struct RouterRule {
  int top_k = 0;
  bool norm_top_k = false;
  bool sigmoid = false;
  int groups = 1;
  int groups_kept = 1;
  float scale = 1.0f;
};
RouterRule router_rule(const ModelConfig& config);

struct Mixture {
  PackedWeight router;              // [experts][dim]
  std::vector<float> expert_bias;   // [experts], added to the scores before choosing; empty if none
  std::vector<SwiGlu> experts;
  SwiGlu shared;                    // used when has_shared
  bool has_shared = false;
  RouterRule rule;
};

// Each row's chosen experts (in order of choice) and their weights: [rows][top_k].
struct Routing {
  std::vector<int32_t> expert;
  std::vector<float> weight;
};

// From router logits [rows][experts]. Softmax (LLaDA-MoE, Qwen3-MoE): softmax in float, plus the
// bias, the top_k largest (ties: the lower expert first), their values as weights. Sigmoid (LLaDA2):
// sigmoid scores, the top_k largest biased scores among the kept groups' experts, the unbiased scores
// as weights. Either way renormalised to sum 1 when norm_top_k, then multiplied by the scale.
Routing route(const float* logits, int rows, int experts, const std::vector<float>& bias, const RouterRule& rule);

// The rows each expert serves and their weights, expert by expert and each expert's in row order
// (so results do not depend on threads): expert e's are rows[first[e] .. first[e + 1]).
struct ExpertGroups {
  std::vector<int32_t> rows;
  std::vector<float> weights;
  std::vector<int> first;  // experts + 1 offsets
};
ExpertGroups group_by_expert(const Routing& routing, int rows, int experts, int top_k);

// x[r] += mixture(normed[r]) for every row: the rows are grouped by expert, so each expert's three
// products run once over all the rows that chose it.
void mixture_forward(const Context& ctx, const float* normed, int rows, const Mixture& mixture, float* x);

}  // namespace anneal
