// SDAR (JetLM/SDAR-*-Chat, and TraDo, trained from it): block diffusion on Qwen3's layout — per-head
// q/k RMS norms before RoPE, grouped-query attention, no q/k/v bias, head_dim its own key — with
// attention bidirectional inside a block of `block_size` tokens and causal across blocks; logits not
// shifted. Config keys as its published configuration_sdar.py and config.json define them;
// the forward as modeling_sdar.py (SDARAttention), the decoding as its generate.py.
import { CheckpointError } from "../errors";
import type { ModelShape } from "../native";
import { type Config, configInt, qwenConfigKeys, qwenDimensions, refuseScaledRope } from "./config-values";
import type { FamilySpec } from "./family-spec";
import tensors from "./sdar.tensors.json";

/** SDAR's published block size (config.json `block_size`; generate.py's block_length). */
export const SDAR_BLOCK_SIZE = 4;

export const SDAR: FamilySpec = {
  family: "sdar",
  architectures: ["SDARForCausalLM"],
  modelType: "sdar",
  // <|MASK|> and <|endoftext|> in Qwen3's vocabulary; chat answers end their turn with <|im_end|>.
  ids: { mask: 151669, eos: 151643 },
  turnEndIds: [151645],
  shiftLogits: false,
  tensors,
  ggufInterleavesRope: false,
  blockDiffusion: true,
  readConfig(config: Config, file: string) {
    refuseUnsupported(config, file);
    const dimensions = qwenDimensions(config, file, 1e-6);
    const { dim, heads } = dimensions;
    const shape: ModelShape = {
      ...dimensions,
      headDim: configInt(config, file, "head_dim", "dim", dim / heads),
      ffn: configInt(config, file, "intermediate_size", "ffn"),
      qkvBias: false,
      qkNorm: true,
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
    return {
      architectures: ["SDARForCausalLM"],
      model_type: "sdar",
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
  if (config.num_experts !== undefined) refuse("num_experts", "SDAR's mixture-of-experts models are not supported yet");
  refuseScaledRope(config, file);
}
