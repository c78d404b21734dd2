// Dream (Dream-org/Dream-v0-*, and Dream-Coder and DiffuCoder, which publish its architecture):
// Qwen2 config keys and tensor names (`model.layers.{i}.self_attn.q_proj`) with q/k/v bias, logits
// shifted by one (configuration_dream.py; Fast-dLLM dream/model/generation_utils.py).
import { CheckpointError } from "../errors";
import type { ModelShape } from "../native";
import { type Config, configInt, qwenConfigKeys, qwenDimensions, refuseScaledRope } from "./config-values";
import tensors from "./dream.tensors.json";
import type { FamilySpec } from "./family-spec";

export const DREAM: FamilySpec = {
  family: "dream",
  architectures: ["DreamModel"],
  modelType: "dream",
  ids: { mask: 151666, eos: 151643 },
  shiftLogits: true,
  tensors,
  gguf: { interleavesRope: false },
  readConfig(config: Config, file: string) {
    refuseScaledRope(config, file);
    const dimensions = qwenDimensions(config, file, 1e-6);
    const shape: ModelShape = {
      ...dimensions,
      headDim: dimensions.dim / dimensions.heads,
      ffn: configInt(config, file, "intermediate_size", "ffn"),
      qkvBias: true,
    };
    if (!Number.isInteger(shape.headDim))
      throw new CheckpointError(file, "hidden_size must be a multiple of num_attention_heads");
    return { shape, contextLength: configInt(config, file, "max_position_embeddings", "context", 2048) };
  },
  writeConfig(shape, ids, contextLength) {
    return {
      architectures: ["DreamModel"],
      model_type: "Dream",
      ...qwenConfigKeys(shape, ids, contextLength),
      intermediate_size: shape.ffn,
    };
  },
};
