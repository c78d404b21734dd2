// Numbers read from a model's config or metadata, refused when a lying file would size memory by
// them: each must be a positive integer under a bound well above any published model.
import { CheckpointError } from "../errors";
import type { ModelShape } from "../native";
import type { SpecialIds } from "./family-spec";

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

/** A positive integer no larger than its LIMITS entry, or a CheckpointError naming the key. */
export function believable(file: string, key: string, value: unknown, limit: keyof typeof LIMITS): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new CheckpointError(file, `${key} must be a positive integer (got ${JSON.stringify(value)})`);
  }
  const most = LIMITS[limit] as number;
  if (value > most) throw new CheckpointError(file, `${key} is ${value}; at most ${most} is believable`);
  return value;
}

export type Config = Record<string, unknown>;

/** config[key] (or `fallback` when absent) as a believable integer. */
export function configInt(config: Config, file: string, key: string, limit: keyof typeof LIMITS, fallback?: number) {
  return believable(file, key, config[key] ?? fallback, limit);
}

/** config[key] when it is a number, else `fallback`. */
export function configNumber(config: Config, key: string, fallback: number): number {
  const value = config[key];
  return typeof value === "number" ? value : fallback;
}

/**
 * Refuses a config whose RoPE the engine would get wrong: scaled RoPE (YaRN, linear, dynamic…) or a
 * partial rotary factor; a `null` or absent setting is the plain RoPE every family here publishes.
 */
export function refuseScaledRope(config: Config, file: string): void {
  if (config.rope_scaling !== undefined && config.rope_scaling !== null) {
    throw new CheckpointError(
      file,
      `rope_scaling ${JSON.stringify(config.rope_scaling)}: scaled RoPE is not supported`,
    );
  }
  const partial = config.partial_rotary_factor;
  if (partial !== undefined && partial !== null && partial !== 1) {
    throw new CheckpointError(file, `partial_rotary_factor ${JSON.stringify(partial)}: partial RoPE is not supported`);
  }
}

/** The dimensions every Qwen-style config (Dream, LLaDA-MoE, SDAR) names alike. */
export function qwenDimensions(
  config: Config,
  file: string,
  epsDefault: number,
): Pick<ModelShape, "vocab" | "dim" | "layers" | "heads" | "kvHeads" | "eps" | "ropeTheta" | "tiedEmbeddings"> {
  const heads = configInt(config, file, "num_attention_heads", "heads");
  return {
    vocab: configInt(config, file, "vocab_size", "vocab"),
    dim: configInt(config, file, "hidden_size", "dim"),
    layers: configInt(config, file, "num_hidden_layers", "layers"),
    heads,
    kvHeads: configInt(config, file, "num_key_value_heads", "heads", heads),
    eps: configNumber(config, "rms_norm_eps", epsDefault),
    ropeTheta: configNumber(config, "rope_theta", 10000),
    tiedEmbeddings: config.tie_word_embeddings === true,
  };
}

/** The keys qwenDimensions reads, and the special ids and context every family's config writes. */
export function qwenConfigKeys(shape: ModelShape, ids: SpecialIds, contextLength: number): Config {
  return {
    hidden_size: shape.dim,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    num_key_value_heads: shape.kvHeads,
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
}
