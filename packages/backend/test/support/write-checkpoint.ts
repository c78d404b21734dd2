// Writes small random checkpoints in the real Hugging Face layout (config.json, safetensors, shards,
// tokenizer files), for every family, with the names and config keys of the family's model
// specification, and returns the exact weights the reference model uses.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkpointTensorNames } from "../../src/checkpoint/architecture";
import { safetensorsBytes, toBf16 } from "../../src/checkpoint/safetensors-writer";
import { engineWeights, FAMILY_SPECS, type Family, type FamilySpec } from "../../src/model-spec";
import type { ModelShape, MoeShape } from "../../src/native";
import { byteTokenizerJson, CHAT_TEMPLATE, SPECIAL_TOKENS } from "./byte-tokenizer";

export type { Family };
export { safetensorsBytes };
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
  /** Per-head q/k RMS norms (LLaDA-MoE, SDAR). */
  qkNorm?: boolean;
  /** Width of an attention head when it is not dim / heads (Qwen3's head_dim, SDAR's). */
  headDim?: number;
  /** Block-diffusion families: the block size their config names (default: the family's published one). */
  blockSize?: number;
  /** A mixture-of-experts MLP (LLaDA-MoE). */
  moe?: MoeShape;
  /** Partial rotary (LLaDA2): each head's first ropeDim values turn. */
  ropeDim?: number;
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

/** The engine's view of a tiny spec's dimensions. */
export function shapeOf(spec: TinyModelSpec): ModelShape {
  return {
    vocab: spec.vocab,
    dim: spec.dim,
    layers: spec.layers,
    heads: spec.heads,
    kvHeads: spec.kvHeads,
    headDim: spec.headDim ?? spec.dim / spec.heads,
    ffn: spec.ffn,
    eps: spec.eps,
    ropeTheta: spec.ropeTheta,
    qkvBias: spec.qkvBias,
    tiedEmbeddings: spec.tied,
    ...(spec.qkNorm ? { qkNorm: true } : {}),
    ...(spec.ropeDim ? { ropeDim: spec.ropeDim } : {}),
    ...(spec.moe ? { moe: spec.moe } : {}),
  };
}

/** A tiny SDAR (Qwen3's layout): per-head q/k norms, grouped-query attention, no bias, blocks of 4. */
export const TINY_SDAR: Partial<TinyModelSpec> = { family: "sdar", qkNorm: true, kvHeads: 2 };

/** A tiny SDAR mixture (SDAR-30B-A3B's layout, Qwen3-MoE's block): 4 experts, 2 a token, renormalised. */
export const TINY_SDAR_MOE: Partial<TinyModelSpec> = {
  ...TINY_SDAR,
  moe: { experts: 4, expertsPerToken: 2, expertFfn: 40, sharedExpertFfn: 0, expertBias: false, normTopK: true },
};

/** A tiny Fast-dLLM v2 (Qwen2.5's layout: q/k/v bias, GQA; shifted logits): blocks of 16, two sub-blocks of 8. */
export const TINY_FAST_DLLM_V2: Partial<TinyModelSpec> = {
  family: "fast-dllm-v2",
  kvHeads: 2,
  qkvBias: true,
  blockSize: 16,
};

/** A tiny LLaDA-MoE: 6 experts, 2 per token, a dense first layer, an expert bias and a shared expert. */
export const TINY_MOE: Partial<TinyModelSpec> = {
  family: "llada-moe",
  dim: 64, // whole Q8_0 blocks, so quantizing reaches every matrix
  layers: 3,
  qkNorm: true,
  moe: {
    experts: 6,
    expertsPerToken: 2,
    expertFfn: 32,
    sharedExpertFfn: 32,
    expertBias: true,
    normTopK: false,
    layers: [false, true, true],
  },
};

/**
 * A tiny LLaDA2 (BailingMoeV2's layout): fused q|k|v, q/k norms, half of each head rotated, a dense
 * first layer, then 8 experts in 4 groups (2 groups kept), 2 a token, sigmoid-routed, renormalised
 * and scaled by 2.5, one shared expert; blocks of 32.
 */
export const TINY_LLADA2: Partial<TinyModelSpec> = {
  family: "llada2",
  dim: 64,
  layers: 3,
  heads: 4,
  kvHeads: 2,
  qkNorm: true,
  ropeDim: 8,
  moe: {
    experts: 8,
    expertsPerToken: 2,
    expertFfn: 32,
    sharedExpertFfn: 32,
    expertBias: true,
    normTopK: true,
    router: "sigmoid",
    groups: 4,
    groupsKept: 2,
    routedScale: 2.5,
    layers: [false, true, true],
  },
};

/** Spread (and centre) of each kind of weight: norms near 1, the rest small. */
const SCALES: Record<string, [scale: number, offset: number]> = {
  embed: [0.9, 0],
  head: [0.5, 0],
  final_norm: [0.25, 1],
  attn_norm: [0.25, 1],
  ffn_norm: [0.25, 1],
  q: [0.4, 0],
  k: [0.4, 0],
  v: [0.4, 0],
  q_bias: [0.2, 0],
  k_bias: [0.2, 0],
  v_bias: [0.2, 0],
  q_norm: [0.25, 1],
  k_norm: [0.25, 1],
  // Routers spread wide, so no row's choice of experts hangs on a rounding difference.
  router: [2, 0],
  expert_bias: [0.1, 0],
  o: [0.3, 0],
  gate: [0.4, 0],
  up: [0.4, 0],
  down: [0.3, 0],
};

/** Random values for every engine weight of the spec, in checkpoint order (the model spec's). */
export function makeWeights(spec: TinyModelSpec): Weights {
  const next = valueSource(spec.seed);
  const weights: Weights = new Map();
  for (const [key, shape] of engineWeights(shapeOf(spec))) {
    const [scale, offset] = SCALES[key.split(".").at(-1) as string] as [number, number];
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = offset + next(scale);
    weights.set(key, { values, shape });
  }
  return weights;
}

/** Rounds in place to the nearest bfloat16 (as stored, and as the CUDA engine rounds GEMM inputs). */
export function roundToBf16(values: Float32Array): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) bits[i] = (toBf16(bits[i] as number) << 16) >>> 0;
}

/** The checkpoint's tensors: one per engine weight, or one per fused group (q|k|v) with their rows stacked. */
function checkpointTensors(family: FamilySpec, shape: ModelShape, weights: Weights) {
  const tensors = new Map<string, { name: string; shape: number[]; parts: Float32Array[] }>();
  for (const [key, source] of checkpointTensorNames(family, shape)) {
    const { values, shape: weightShape } = weights.get(key) as { values: Float32Array; shape: number[] };
    const tensor = tensors.get(source.name);
    if (!tensor) {
      const rows = source.rows ? source.rows.of : (weightShape[0] as number);
      tensors.set(source.name, { name: source.name, shape: [rows, ...weightShape.slice(1)], parts: [values] });
    } else {
      tensor.parts.push(values);
    }
  }
  return [...tensors.values()].map(({ name, shape, parts }) => {
    const values = new Float32Array(parts.reduce((n, part) => n + part.length, 0));
    let at = 0;
    for (const part of parts) {
      values.set(part, at);
      at += part.length;
    }
    return { name, shape, values };
  });
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
  const tensors = checkpointTensors(FAMILY_SPECS[spec.family], shapeOf(spec), weights);
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
  const config = FAMILY_SPECS[spec.family].writeConfig(
    shapeOf(spec),
    { mask: MASK_ID, eos: EOS_ID },
    512,
    spec.blockSize,
  );
  writeFileSync(join(target, "config.json"), JSON.stringify(config, null, 2));
  writeFileSync(join(target, "generation_config.json"), JSON.stringify({ eos_token_id: EOS_ID }));
  writeFileSync(join(target, "tokenizer.json"), JSON.stringify(byteTokenizerJson()));
  writeFileSync(
    join(target, "tokenizer_config.json"),
    JSON.stringify({ eos_token: "<|endoftext|>", mask_token: "<|mask|>", chat_template: CHAT_TEMPLATE }),
  );
  return { dir: target, spec, weights };
}
