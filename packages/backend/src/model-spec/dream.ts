// Dream (Dream-org/Dream-v0-*, and Dream-Coder and DiffuCoder, which publish its architecture):
// Qwen2 config keys and tensor names (`model.layers.{i}.self_attn.q_proj`) with q/k/v bias, logits
// shifted by one (configuration_dream.py; Fast-dLLM dream/model/generation_utils.py).
import { CheckpointError } from "../errors";
import type { ModelShape } from "../native";
import { type Config, configInt, configNumber, refuseScaledRope } from "./config-values";
import tensors from "./dream.tensors.json";
import type { FamilySpec } from "./family-spec";

export const DREAM: FamilySpec = {
  family: "dream",
  architectures: ["DreamModel"],
  modelType: "dream",
  ids: { mask: 151666, eos: 151643 },
  shiftLogits: true,
  tensors,
  ggufInterleavesRope: false,
  readConfig(config: Config, file: string) {
    refuseScaledRope(config, file);
    const dim = configInt(config, file, "hidden_size", "dim");
    const heads = configInt(config, file, "num_attention_heads", "heads");
    const shape: ModelShape = {
      vocab: configInt(config, file, "vocab_size", "vocab"),
      dim,
      layers: configInt(config, file, "num_hidden_layers", "layers"),
      heads,
      kvHeads: configInt(config, file, "num_key_value_heads", "heads", heads),
      headDim: dim / heads,
      ffn: configInt(config, file, "intermediate_size", "ffn"),
      eps: configNumber(config, "rms_norm_eps", 1e-6),
      ropeTheta: configNumber(config, "rope_theta", 10000),
      qkvBias: true,
      tiedEmbeddings: config.tie_word_embeddings === true,
    };
    if (!Number.isInteger(shape.headDim))
      throw new CheckpointError(file, "hidden_size must be a multiple of num_attention_heads");
    return { shape, contextLength: configInt(config, file, "max_position_embeddings", "context", 2048) };
  },
  writeConfig(shape, ids, contextLength) {
    return {
      architectures: ["DreamModel"],
      model_type: "Dream",
      hidden_size: shape.dim,
      num_hidden_layers: shape.layers,
      num_attention_heads: shape.heads,
      num_key_value_heads: shape.kvHeads,
      intermediate_size: shape.ffn,
      hidden_act: "silu",
      vocab_size: shape.vocab,
      rms_norm_eps: shape.eps,
      rope_theta: shape.ropeTheta,
      tie_word_embeddings: shape.tiedEmbeddings,
      mask_token_id: ids.mask,
      eos_token_id: ids.eos,
      pad_token_id: ids.pad ?? ids.eos,
      max_position_embeddings: contextLength,
    };
  },
};
