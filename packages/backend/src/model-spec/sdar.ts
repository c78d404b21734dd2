// SDAR (JetLM/SDAR-*-Chat, and TraDo, trained from it): block diffusion on Qwen3's layout — per-head
// q/k RMS norms before RoPE, grouped-query attention, no q/k/v bias, head_dim its own key — with
// attention bidirectional inside a block of `block_size` tokens and causal across blocks; logits not
// shifted. Config keys as its published configuration_sdar.py and config.json define them;
// the forward as modeling_sdar.py (SDARAttention), the decoding as its generate.py. Its mixture-of-
// experts model (SDARMoeForCausalLM, SDAR-30B-A3B) has Qwen3-MoE's sparse block: a softmax router,
// the top-k experts, their weights renormalised when norm_topk_prob, no shared expert, dense layers
// where mlp_only_layers or decoder_sparse_step say.
import { CheckpointError } from "../errors";
import type { ModelShape, MoeShape } from "../native";
import { type Config, configInt, qwenConfigKeys, qwenDimensions, refuseScaledRope } from "./config-values";
import type { FamilySpec } from "./family-spec";
import tensors from "./sdar.tensors.json";

/** SDAR's published block size (config.json `block_size`; generate.py's block_length). */
export const SDAR_BLOCK_SIZE = 4;

export const SDAR: FamilySpec = {
  family: "sdar",
  architectures: ["SDARForCausalLM", "SDARMoeForCausalLM"],
  modelType: "sdar",
  // <|MASK|> and <|endoftext|> in Qwen3's vocabulary; chat answers end their turn with <|im_end|>.
  ids: { mask: 151669, eos: 151643 },
  turnEndIds: [151645],
  shiftLogits: false,
  tensors,
  blockSize: SDAR_BLOCK_SIZE,
  readConfig(config: Config, file: string) {
    refuseUnsupported(config, file);
    const dimensions = qwenDimensions(config, file, 1e-6);
    const { dim, heads } = dimensions;
    const moe = readMixture(config, file, dimensions.layers);
    const shape: ModelShape = {
      ...dimensions,
      headDim: configInt(config, file, "head_dim", "dim", dim / heads),
      // A dense layer's MLP width (a mixture model's dense layers, if any, use it too).
      ffn: configInt(config, file, "intermediate_size", "ffn", moe?.expertFfn),
      qkvBias: false,
      qkNorm: true,
      ...(moe ? { moe } : {}),
    };
    if (!Number.isInteger(shape.headDim)) {
      throw new CheckpointError(file, "give head_dim, or a hidden_size that is a multiple of num_attention_heads");
    }
    if (heads % shape.kvHeads !== 0) {
      throw new CheckpointError(file, "num_attention_heads must be a multiple of num_key_value_heads");
    }
    return {
      shape,
      contextLength: configInt(config, file, "max_position_embeddings", "context", 32768),
      blockSize: configInt(config, file, "block_size", "context", SDAR_BLOCK_SIZE),
    };
  },
  writeConfig(shape, ids, contextLength, blockSize = SDAR_BLOCK_SIZE) {
    const moe = shape.moe;
    return {
      architectures: [moe ? "SDARMoeForCausalLM" : "SDARForCausalLM"],
      model_type: moe ? "sdar_moe" : "sdar",
      ...(moe
        ? {
            num_experts: moe.experts,
            num_experts_per_tok: moe.expertsPerToken,
            moe_intermediate_size: moe.expertFfn,
            norm_topk_prob: moe.normTopK,
            decoder_sparse_step: 1,
            mlp_only_layers: Array.from({ length: shape.layers }, (_, i) => i).filter(
              (i) => !(moe.layers?.[i] ?? true),
            ),
          }
        : {}),
      ...qwenConfigKeys(shape, ids, contextLength),
      head_dim: shape.headDim,
      intermediate_size: shape.ffn,
      rope_scaling: null,
      attention_bias: false,
      use_sliding_window: false,
      sliding_window: null,
      block_size: blockSize,
      bos_token_id: ids.eos,
    };
  },
};

/** What the published modelling supports but the engine does not: refused by name, never ignored. */
function refuseUnsupported(config: Config, file: string): void {
  const refuse = (key: string, why: string) => {
    throw new CheckpointError(file, `${key} ${JSON.stringify(config[key])}: ${why}`);
  };
  if (config.attention_bias === true) refuse("attention_bias", "attention biases are not supported");
  if (config.use_sliding_window === true) refuse("use_sliding_window", "sliding-window attention is not supported");
  if (config.hidden_act !== undefined && config.hidden_act !== "silu")
    refuse("hidden_act", "only SiLU (SwiGLU) MLPs are supported");
  if (typeof config.shared_expert_intermediate_size === "number" && config.shared_expert_intermediate_size > 0)
    refuse("shared_expert_intermediate_size", "Qwen3-MoE's block, which SDAR's is, has no shared expert");
  refuseScaledRope(config, file);
}

/** The mixture of a SDARMoeForCausalLM config (Qwen3-MoE's keys), or undefined for a dense model. */
function readMixture(config: Config, file: string, layers: number): MoeShape | undefined {
  if (config.num_experts === undefined || config.num_experts === null || config.num_experts === 0) return undefined;
  const experts = configInt(config, file, "num_experts", "heads");
  const expertsPerToken = configInt(config, file, "num_experts_per_tok", "heads");
  if (expertsPerToken > experts) {
    throw new CheckpointError(file, `num_experts_per_tok ${expertsPerToken} is more than num_experts ${experts}`);
  }
  const step = configInt(config, file, "decoder_sparse_step", "layers", 1);
  const denseOnly = Array.isArray(config.mlp_only_layers) ? (config.mlp_only_layers as unknown[]) : [];
  // Qwen3-MoE: layer i has experts when it is not in mlp_only_layers and (i + 1) is a multiple of the step.
  const moeLayers = Array.from({ length: layers }, (_, i) => !denseOnly.includes(i) && (i + 1) % step === 0);
  return {
    experts,
    expertsPerToken,
    expertFfn: configInt(config, file, "moe_intermediate_size", "ffn"),
    sharedExpertFfn: 0,
    expertBias: false,
    normTopK: config.norm_topk_prob === true,
    ...(moeLayers.every(Boolean) ? {} : { layers: moeLayers }),
  };
}
