// Writes small random checkpoints in the real Hugging Face layout (config.json, safetensors, shards,
// tokenizer files), for LLaDA and Dream, and returns the exact weights the reference model uses.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { safetensorsBytes, toBf16 } from "../../src/checkpoint/safetensors-writer";
import { byteTokenizerJson, CHAT_TEMPLATE, SPECIAL_TOKENS } from "./byte-tokenizer";

export { safetensorsBytes };

export type Family = "llada" | "dream";
export type DType = "F32" | "F16" | "BF16";

export interface TinyModelSpec {
  family: Family;
  vocab: number;
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  ropeTheta: number;
  eps: number;
  tied: boolean;
  qkvBias: boolean;
  dtype: DType;
  shards: number;
  seed: number;
}

export const DEFAULT_SPEC: TinyModelSpec = {
  family: "llada",
  vocab: 256 + SPECIAL_TOKENS.length,
  dim: 48,
  layers: 2,
  heads: 4,
  kvHeads: 4,
  ffn: 80,
  ropeTheta: 10000,
  eps: 1e-5,
  tied: false,
  qkvBias: false,
  dtype: "F32",
  shards: 1,
  seed: 1,
};

export const MASK_ID = 257;
export const EOS_ID = 256;

/** Engine weight key → values (already rounded to the stored dtype) and shape. */
export type Weights = Map<string, { values: Float32Array; shape: number[] }>;

export interface WrittenCheckpoint {
  dir: string;
  spec: TinyModelSpec;
  weights: Weights;
}

/** A deterministic generator of values exactly representable in F16 and BF16 (k/256, |k| < 256). */
function valueSource(seed: number) {
  let state = seed >>> 0 || 1;
  return (scale: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const unit = (state >>> 0) / 4294967296 - 0.5; // [-0.5, 0.5)
    return Math.round(unit * 2 * scale * 256) / 256;
  };
}

export function makeWeights(spec: TinyModelSpec): Weights {
  const next = valueSource(spec.seed);
  const headDim = spec.dim / spec.heads;
  const weights: Weights = new Map();
  const add = (key: string, shape: number[], scale: number, offset = 0) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = offset + next(scale);
    weights.set(key, { values, shape });
  };
  add("embed", [spec.vocab, spec.dim], 0.9);
  add("final_norm", [spec.dim], 0.25, 1);
  if (!spec.tied) add("head", [spec.vocab, spec.dim], 0.5);
  for (let i = 0; i < spec.layers; i++) {
    const p = `layers.${i}.`;
    add(`${p}attn_norm`, [spec.dim], 0.25, 1);
    add(`${p}q`, [spec.heads * headDim, spec.dim], 0.4);
    add(`${p}k`, [spec.kvHeads * headDim, spec.dim], 0.4);
    add(`${p}v`, [spec.kvHeads * headDim, spec.dim], 0.4);
    if (spec.qkvBias) {
      add(`${p}q_bias`, [spec.heads * headDim], 0.2);
      add(`${p}k_bias`, [spec.kvHeads * headDim], 0.2);
      add(`${p}v_bias`, [spec.kvHeads * headDim], 0.2);
    }
    add(`${p}o`, [spec.dim, spec.heads * headDim], 0.3);
    add(`${p}ffn_norm`, [spec.dim], 0.25, 1);
    add(`${p}gate`, [spec.ffn, spec.dim], 0.4);
    add(`${p}up`, [spec.ffn, spec.dim], 0.4);
    add(`${p}down`, [spec.dim, spec.ffn], 0.3);
  }
  return weights;
}

/** The checkpoint's tensor name for an engine key. */
export function tensorName(family: Family, key: string): string {
  const parts = key.split(".");
  if (parts[0] !== "layers") {
    const top: Record<Family, Record<string, string>> = {
      llada: {
        embed: "model.transformer.wte.weight",
        final_norm: "model.transformer.ln_f.weight",
        head: "model.transformer.ff_out.weight",
      },
      dream: { embed: "model.embed_tokens.weight", final_norm: "model.norm.weight", head: "lm_head.weight" },
    };
    return top[family][key] as string;
  }
  const [, i, leaf] = parts as [string, string, string];
  if (family === "llada") {
    const names: Record<string, string> = {
      attn_norm: "attn_norm.weight",
      q: "q_proj.weight",
      k: "k_proj.weight",
      v: "v_proj.weight",
      q_bias: "q_proj.bias",
      k_bias: "k_proj.bias",
      v_bias: "v_proj.bias",
      o: "attn_out.weight",
      ffn_norm: "ff_norm.weight",
      gate: "ff_proj.weight",
      up: "up_proj.weight",
      down: "ff_out.weight",
    };
    return `model.transformer.blocks.${i}.${names[leaf]}`;
  }
  const names: Record<string, string> = {
    attn_norm: "input_layernorm.weight",
    q: "self_attn.q_proj.weight",
    k: "self_attn.k_proj.weight",
    v: "self_attn.v_proj.weight",
    q_bias: "self_attn.q_proj.bias",
    k_bias: "self_attn.k_proj.bias",
    v_bias: "self_attn.v_proj.bias",
    o: "self_attn.o_proj.weight",
    ffn_norm: "post_attention_layernorm.weight",
    gate: "mlp.gate_proj.weight",
    up: "mlp.up_proj.weight",
    down: "mlp.down_proj.weight",
  };
  return `model.layers.${i}.${names[leaf]}`;
}

/** Rounds in place to the nearest bfloat16 (as stored, and as the CUDA engine rounds GEMM inputs). */
export function roundToBf16(values: Float32Array): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) bits[i] = (toBf16(bits[i] as number) << 16) >>> 0;
}

function configJson(spec: TinyModelSpec): object {
  if (spec.family === "llada") {
    return {
      architectures: ["LLaDAModelLM"],
      model_type: "llada",
      d_model: spec.dim,
      n_layers: spec.layers,
      n_heads: spec.heads,
      n_kv_heads: spec.kvHeads,
      mlp_hidden_size: spec.ffn,
      vocab_size: spec.vocab,
      embedding_size: spec.vocab,
      rms_norm_eps: spec.eps,
      rope_theta: spec.ropeTheta,
      include_bias: false,
      include_qkv_bias: spec.qkvBias,
      weight_tying: spec.tied,
      mask_token_id: MASK_ID,
      eos_token_id: EOS_ID,
      pad_token_id: EOS_ID,
      max_sequence_length: 512,
    };
  }
  return {
    architectures: ["DreamModel"],
    model_type: "Dream",
    hidden_size: spec.dim,
    num_hidden_layers: spec.layers,
    num_attention_heads: spec.heads,
    num_key_value_heads: spec.kvHeads,
    intermediate_size: spec.ffn,
    vocab_size: spec.vocab,
    rms_norm_eps: spec.eps,
    rope_theta: spec.ropeTheta,
    tie_word_embeddings: spec.tied,
    mask_token_id: MASK_ID,
    eos_token_id: EOS_ID,
    pad_token_id: EOS_ID,
    max_position_embeddings: 512,
  };
}

/** Writes a tiny random checkpoint; `edit` may change the weights before they are written. */
export function writeCheckpoint(
  overrides: Partial<TinyModelSpec> = {},
  dir?: string,
  edit?: (weights: Weights) => void,
): WrittenCheckpoint {
  const spec = { ...DEFAULT_SPEC, ...overrides, qkvBias: overrides.qkvBias ?? overrides.family === "dream" };
  const target = dir ?? mkdtempSync(join(tmpdir(), `anneal-${spec.family}-`));
  mkdirSync(target, { recursive: true });
  const weights = makeWeights(spec);
  edit?.(weights);
  if (spec.dtype === "BF16") for (const entry of weights.values()) roundToBf16(entry.values);
  const tensors = [...weights].map(([key, { values, shape }]) => ({
    name: tensorName(spec.family, key),
    shape,
    values,
  }));
  if (spec.shards <= 1) {
    writeFileSync(join(target, "model.safetensors"), safetensorsBytes(tensors, spec.dtype));
  } else {
    const weightMap: Record<string, string> = {};
    for (let s = 0; s < spec.shards; s++) {
      const file = `model-${String(s + 1).padStart(5, "0")}-of-${String(spec.shards).padStart(5, "0")}.safetensors`;
      const part = tensors.filter((_, i) => i % spec.shards === s);
      for (const t of part) weightMap[t.name] = file;
      writeFileSync(join(target, file), safetensorsBytes(part, spec.dtype));
    }
    writeFileSync(
      join(target, "model.safetensors.index.json"),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
  }
  writeFileSync(join(target, "config.json"), JSON.stringify(configJson(spec), null, 2));
  writeFileSync(join(target, "generation_config.json"), JSON.stringify({ eos_token_id: EOS_ID }));
  writeFileSync(join(target, "tokenizer.json"), JSON.stringify(byteTokenizerJson()));
  writeFileSync(
    join(target, "tokenizer_config.json"),
    JSON.stringify({ eos_token: "<|endoftext|>", mask_token: "<|mask|>", chat_template: CHAT_TEMPLATE }),
  );
  return { dir: target, spec, weights };
}
