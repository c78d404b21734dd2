// The two supported families, read from config.json: their shape, special ids, whether logits are
// shifted, and the checkpoint name of every weight the engine needs. (GGUF files describe the same
// through their metadata: gguf-architecture.ts.)
import { CheckpointError } from "../errors";
import type { ModelShape } from "../native";

export type Family = "llada" | "dream";

export interface Architecture {
  family: Family;
  shape: ModelShape;
  maskId: number;
  /** Token ids that end an answer (EOS, end-of-turn). */
  stopIds: number[];
  padId: number | undefined;
  /** Dream-style models predict token i from the logits at i − 1. */
  shiftLogits: boolean;
  contextLength: number;
  /** Engine weight key → checkpoint tensor name; optional entries may be absent. */
  tensorNames: Map<string, { name: string; optional?: boolean }>;
}

type Config = Record<string, unknown>;

export function readArchitecture(config: Config, file: string): Architecture {
  const architecture = recognise(config, file);
  checkSpecialIds(architecture, file);
  return architecture;
}

/** `architectures` decides when the config names any; `model_type` only when it names none. */
function recognise(config: Config, file: string): Architecture {
  const architectures = Array.isArray(config.architectures) ? (config.architectures as string[]) : [];
  const modelType = architectures.length === 0 ? String(config.model_type ?? "").toLowerCase() : "";
  if (architectures.includes("LLaDAModelLM") || modelType === "llada") return llada(config, file);
  if (architectures.includes("DreamModel") || modelType === "dream") return dream(config, file);
  throw new CheckpointError(
    file,
    `unsupported architecture ${JSON.stringify(architectures[0] ?? config.model_type ?? "(none)")}; supported: LLaDAModelLM, DreamModel`,
  );
}

/**
 * Upper bounds well above any published model, so that a lying config (`n_layers: 1e9`) is refused
 * before anything is sized by it; the weights' own shapes are checked against the config afterwards.
 */
export const LIMITS: Record<string, number> = {
  layers: 1_024,
  dim: 65_536,
  heads: 1_024,
  ffn: 1_048_576,
  vocab: 4_194_304,
  context: 16_777_216,
};

function int(config: Config, file: string, key: string, limit: keyof typeof LIMITS, fallback?: number): number {
  return believable(file, key, config[key] ?? fallback, limit);
}

/** A positive integer no larger than its LIMITS entry, or a CheckpointError naming the key. */
export function believable(file: string, key: string, value: unknown, limit: keyof typeof LIMITS): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new CheckpointError(file, `${key} must be a positive integer (got ${JSON.stringify(value)})`);
  }
  const most = LIMITS[limit] as number;
  if (value > most) throw new CheckpointError(file, `${key} is ${value}; at most ${most} is believable`);
  return value;
}

/** Every special id must name a token of the vocabulary, or every request would fail later. */
export function checkSpecialIds(architecture: Architecture, file: string): void {
  const { vocab } = architecture.shape;
  const named: [string, number | undefined][] = [
    ["mask_token_id", architecture.maskId],
    ["pad_token_id", architecture.padId],
    ...architecture.stopIds.map((id): [string, number] => ["eos_token_id", id]),
  ];
  for (const [key, id] of named) {
    if (id === undefined) continue;
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new CheckpointError(file, `${key} ${id} is outside the vocabulary of ${vocab} tokens`);
    }
  }
}

function ids(value: unknown): number[] {
  if (typeof value === "number") return [value];
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === "number") : [];
}

/** LLaDA: OLMo-style keys and names (`model.transformer.blocks.{i}.q_proj`), logits not shifted. */
/** Mask, stop and pad ids from config.json, with the family's published ids where a config omits them. */
/** Each family's published mask and end-of-text ids, for files that do not say. */
export const FAMILY_IDS: Record<Family, { mask: number; eos: number }> = {
  llada: { mask: 126336, eos: 126081 },
  dream: { mask: 151666, eos: 151643 },
};

function specialTokens(
  config: Config,
  defaults: { mask: number; eos: number },
): Pick<Architecture, "maskId" | "stopIds" | "padId"> {
  return {
    maskId: typeof config.mask_token_id === "number" ? config.mask_token_id : defaults.mask,
    stopIds: ids(config.eos_token_id ?? defaults.eos),
    padId: typeof config.pad_token_id === "number" ? config.pad_token_id : undefined,
  };
}

/** LLaDA: OLMo-style keys and names (`model.transformer.blocks.{i}.q_proj`), logits not shifted. */
function llada(config: Config, file: string): Architecture {
  const dim = int(config, file, "d_model", "dim");
  const heads = int(config, file, "n_heads", "heads");
  const mlpRatio = typeof config.mlp_ratio === "number" ? config.mlp_ratio : 4;
  const shape: ModelShape = {
    vocab: int(config, file, "embedding_size", "vocab", config.vocab_size as number),
    dim,
    layers: int(config, file, "n_layers", "layers"),
    heads,
    kvHeads: int(config, file, "n_kv_heads", "heads", heads),
    headDim: dim / heads,
    ffn: int(config, file, "mlp_hidden_size", "ffn", Math.round(mlpRatio * dim)),
    eps: typeof config.rms_norm_eps === "number" ? config.rms_norm_eps : 1e-5,
    ropeTheta: typeof config.rope_theta === "number" ? config.rope_theta : 10000,
    qkvBias: config.include_qkv_bias === true || config.include_bias === true,
    tiedEmbeddings: config.weight_tying === true,
  };
  if (!Number.isInteger(shape.headDim)) throw new CheckpointError(file, "d_model must be a multiple of n_heads");
  const names = new Map<string, { name: string; optional?: boolean }>([
    ["embed", { name: "model.transformer.wte.weight" }],
    ["final_norm", { name: "model.transformer.ln_f.weight" }],
  ]);
  if (!shape.tiedEmbeddings) names.set("head", { name: "model.transformer.ff_out.weight" });
  for (let i = 0; i < shape.layers; i++) {
    const block = `model.transformer.blocks.${i}`;
    const layer = `layers.${i}`;
    names.set(`${layer}.attn_norm`, { name: `${block}.attn_norm.weight` });
    for (const [key, module] of [
      ["q", "q_proj"],
      ["k", "k_proj"],
      ["v", "v_proj"],
    ] as const) {
      names.set(`${layer}.${key}`, { name: `${block}.${module}.weight` });
      if (shape.qkvBias) names.set(`${layer}.${key}_bias`, { name: `${block}.${module}.bias` });
    }
    names.set(`${layer}.o`, { name: `${block}.attn_out.weight` });
    names.set(`${layer}.ffn_norm`, { name: `${block}.ff_norm.weight` });
    names.set(`${layer}.gate`, { name: `${block}.ff_proj.weight` });
    names.set(`${layer}.up`, { name: `${block}.up_proj.weight` });
    names.set(`${layer}.down`, { name: `${block}.ff_out.weight` });
  }
  return {
    family: "llada",
    shape,
    ...specialTokens(config, FAMILY_IDS.llada),
    shiftLogits: false,
    contextLength: int(config, file, "max_sequence_length", "context", 4096),
    tensorNames: names,
  };
}

/** Dream: Qwen2 names (`model.layers.{i}.self_attn.q_proj`) with q/k/v bias; logits shifted by one. */
function dream(config: Config, file: string): Architecture {
  const dim = int(config, file, "hidden_size", "dim");
  const heads = int(config, file, "num_attention_heads", "heads");
  const shape: ModelShape = {
    vocab: int(config, file, "vocab_size", "vocab"),
    dim,
    layers: int(config, file, "num_hidden_layers", "layers"),
    heads,
    kvHeads: int(config, file, "num_key_value_heads", "heads", heads),
    headDim: dim / heads,
    ffn: int(config, file, "intermediate_size", "ffn"),
    eps: typeof config.rms_norm_eps === "number" ? config.rms_norm_eps : 1e-6,
    ropeTheta: typeof config.rope_theta === "number" ? config.rope_theta : 10000,
    qkvBias: true,
    tiedEmbeddings: config.tie_word_embeddings === true,
  };
  if (!Number.isInteger(shape.headDim))
    throw new CheckpointError(file, "hidden_size must be a multiple of num_attention_heads");
  const names = new Map<string, { name: string; optional?: boolean }>([
    ["embed", { name: "model.embed_tokens.weight" }],
    ["final_norm", { name: "model.norm.weight" }],
  ]);
  if (!shape.tiedEmbeddings) names.set("head", { name: "lm_head.weight" });
  for (let i = 0; i < shape.layers; i++) {
    const block = `model.layers.${i}`;
    const layer = `layers.${i}`;
    names.set(`${layer}.attn_norm`, { name: `${block}.input_layernorm.weight` });
    for (const key of ["q", "k", "v"] as const) {
      names.set(`${layer}.${key}`, { name: `${block}.self_attn.${key}_proj.weight` });
      names.set(`${layer}.${key}_bias`, { name: `${block}.self_attn.${key}_proj.bias` });
    }
    names.set(`${layer}.o`, { name: `${block}.self_attn.o_proj.weight` });
    names.set(`${layer}.ffn_norm`, { name: `${block}.post_attention_layernorm.weight` });
    names.set(`${layer}.gate`, { name: `${block}.mlp.gate_proj.weight` });
    names.set(`${layer}.up`, { name: `${block}.mlp.up_proj.weight` });
    names.set(`${layer}.down`, { name: `${block}.mlp.down_proj.weight` });
  }
  return {
    family: "dream",
    shape,
    ...specialTokens(config, FAMILY_IDS.dream),
    shiftLogits: true,
    contextLength: int(config, file, "max_position_embeddings", "context", 2048),
    tensorNames: names,
  };
}
