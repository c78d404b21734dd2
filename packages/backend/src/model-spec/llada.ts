// LLaDA (GSAI-ML/LLaDA-8B-*, LLaDA-1.5): OLMo-style config keys and tensor names
// (`model.transformer.blocks.{i}.q_proj`), logits not shifted. Keys as LLaDA's own loader reads
// them (Fast-dLLM llada/model/configuration_llada.py; modeling_llada.py module names).
import { CheckpointError } from "../errors";
import type { ModelShape } from "../native";
import { type Config, configInt, configNumber, refuseScaledRope } from "./config-values";
import type { FamilySpec } from "./family-spec";
import tensors from "./llada.tensors.json";

export const LLADA: FamilySpec = {
  family: "llada",
  architectures: ["LLaDAModelLM"],
  modelType: "llada",
  ids: { mask: 126336, eos: 126081 },
  shiftLogits: false,
  tensors,
  gguf: { interleavesRope: true },
  readConfig(config: Config, file: string) {
    refuseScaledRope(config, file);
    const dim = configInt(config, file, "d_model", "dim");
    const heads = configInt(config, file, "n_heads", "heads");
    const shape: ModelShape = {
      vocab: configInt(config, file, "embedding_size", "vocab", config.vocab_size as number),
      dim,
      layers: configInt(config, file, "n_layers", "layers"),
      heads,
      kvHeads: configInt(config, file, "n_kv_heads", "heads", heads),
      headDim: dim / heads,
      ffn: configInt(config, file, "mlp_hidden_size", "ffn", Math.round(configNumber(config, "mlp_ratio", 4) * dim)),
      eps: configNumber(config, "rms_norm_eps", 1e-5),
      ropeTheta: configNumber(config, "rope_theta", 10000),
      qkvBias: config.include_qkv_bias === true || config.include_bias === true,
      tiedEmbeddings: config.weight_tying === true,
    };
    if (!Number.isInteger(shape.headDim)) throw new CheckpointError(file, "d_model must be a multiple of n_heads");
    return { shape, contextLength: configInt(config, file, "max_sequence_length", "context", 4096) };
  },
  writeConfig(shape, ids, contextLength) {
    return {
      architectures: ["LLaDAModelLM"],
      model_type: "llada",
      d_model: shape.dim,
      n_layers: shape.layers,
      n_heads: shape.heads,
      n_kv_heads: shape.kvHeads,
      mlp_hidden_size: shape.ffn,
      mlp_ratio: shape.ffn / shape.dim,
      vocab_size: shape.vocab,
      embedding_size: shape.vocab,
      activation_type: "silu",
      block_type: "llama",
      layer_norm_type: "rms",
      rms_norm_eps: shape.eps,
      rope: true,
      rope_theta: shape.ropeTheta,
      rope_full_precision: true,
      include_bias: false,
      include_qkv_bias: shape.qkvBias,
      weight_tying: shape.tiedEmbeddings,
      mask_token_id: ids.mask,
      eos_token_id: ids.eos,
      pad_token_id: ids.pad ?? ids.eos,
      max_sequence_length: contextLength,
    };
  },
};
