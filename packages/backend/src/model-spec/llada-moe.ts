// LLaDA-MoE (inclusionAI/LLaDA-MoE-7B-A1B-*): OLMoE-style blocks — per-head RMS norms on q and k
// before RoPE, and a mixture-of-experts MLP — with Qwen2-MoE-like tensor names, logits not
// shifted. Config keys and behaviour as its published configuration_lladamoe.py and
// modeling_lladamoe.py define them (the published block always uses a softmax router and never
// renormalises the chosen experts' weights, whatever norm_topk_prob and moe_router_score_function say).
import { CheckpointError } from "../errors";
import type { ModelShape } from "../native";
import { type Config, configInt, qwenConfigKeys, qwenDimensions, refuseScaledRope } from "./config-values";
import type { FamilySpec } from "./family-spec";
import tensors from "./llada-moe.tensors.json";

export const LLADA_MOE: FamilySpec = {
  family: "llada-moe",
  architectures: ["LLaDAMoEModelLM", "LLaDAMoEModel"],
  // The published config says model_type "llada", like LLaDA's; its expert keys tell them apart.
  modelType: "llada",
  modelTypeNeeds: "num_experts",
  ids: { mask: 156895, eos: 156892 },
  shiftLogits: false,
  tensors,
  gguf: { interleavesRope: false },
  readConfig(config: Config, file: string) {
    refuseUnsupported(config, file);
    const dimensions = qwenDimensions(config, file, 1e-5);
    const { dim, heads, layers } = dimensions;
    const experts = configInt(config, file, "num_experts", "heads");
    const expertFfn = configInt(config, file, "expert_intermediate_size", "ffn");
    const shared = config.shared_expert_intermediate_size;
    const dense = config.dense_intermediate_size;
    const frequency = Array.isArray(config.moe_layer_freq) ? (config.moe_layer_freq as unknown[]) : [];
    if (frequency.length > 0 && frequency.length !== layers) {
      throw new CheckpointError(file, `moe_layer_freq names ${frequency.length} layers; the model has ${layers}`);
    }
    const moeLayers = frequency.map((flag) => flag !== 0);
    const shape: ModelShape = {
      ...dimensions,
      headDim: dim / heads,
      // A dense layer's MLP width (only layers moe_layer_freq marks 0 have one).
      ffn:
        typeof dense === "number" && dense > 0 ? configInt(config, file, "dense_intermediate_size", "ffn") : expertFfn,
      qkvBias: false,
      qkNorm: config.qk_layernorm === true,
      moe: {
        experts,
        expertsPerToken: configInt(config, file, "num_experts_per_tok", "heads"),
        expertFfn,
        sharedExpertFfn:
          typeof shared === "number" && shared > 0
            ? configInt(config, file, "shared_expert_intermediate_size", "ffn")
            : 0,
        expertBias: config.moe_router_enable_expert_bias === true,
        normTopK: false,
        ...(moeLayers.length > 0 && !moeLayers.every(Boolean) ? { layers: moeLayers } : {}),
      },
    };
    if (!Number.isInteger(shape.headDim))
      throw new CheckpointError(file, "hidden_size must be a multiple of num_attention_heads");
    if ((shape.moe?.expertsPerToken ?? 0) > experts) {
      throw new CheckpointError(
        file,
        `num_experts_per_tok ${shape.moe?.expertsPerToken} is more than num_experts ${experts}`,
      );
    }
    return { shape, contextLength: configInt(config, file, "max_position_embeddings", "context", 4096) };
  },
  writeConfig(shape, ids, contextLength) {
    const moe = shape.moe;
    if (!moe) throw new Error("a LLaDA-MoE config needs the mixture's shape");
    return {
      architectures: ["LLaDAMoEModelLM"],
      model_type: "llada",
      ...qwenConfigKeys(shape, ids, contextLength),
      dense_intermediate_size: shape.ffn,
      expert_intermediate_size: moe.expertFfn,
      shared_expert_intermediate_size: moe.sharedExpertFfn > 0 ? moe.sharedExpertFfn : null,
      num_experts: moe.experts,
      num_experts_per_tok: moe.expertsPerToken,
      moe_layer_freq: Array.from({ length: shape.layers }, (_, i) => ((moe.layers?.[i] ?? true) ? 1 : 0)),
      moe_router_enable_expert_bias: moe.expertBias,
      moe_router_score_function: "softmax",
      norm_topk_prob: false,
      qk_layernorm: shape.qkNorm === true,
      partial_rotary_factor: 1,
      rope_scaling: null,
      attention_bias: false,
      clip_qkv: null,
    };
  },
};

/** What the published modelling supports but the engine does not: refused by name, never ignored. */
function refuseUnsupported(config: Config, file: string): void {
  const refuse = (key: string, why: string) => {
    throw new CheckpointError(file, `${key} ${JSON.stringify(config[key])}: ${why}`);
  };
  if (config.attention_bias === true) refuse("attention_bias", "attention biases (o_proj's too) are not supported");
  if (config.clip_qkv !== undefined && config.clip_qkv !== null) refuse("clip_qkv", "clipping q/k/v is not supported");
  refuseScaledRope(config, file);
  if (config.hidden_act !== undefined && config.hidden_act !== "silu")
    refuse("hidden_act", "only SiLU (SwiGLU) MLPs are supported");
}
