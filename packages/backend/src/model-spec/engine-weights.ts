// The engine's weights: the one list of keys every family's tensor names map onto, in the order
// checkpoints are written, with the shape each has for a model's dimensions. The loader checks files
// against it, the exporter writes it, the trainer counts it, and tests and benches build from it.
import type { ModelShape } from "../native";

/** Engine weight key (`embed`, `layers.3.q` …) → [rows, columns] or [length]. */
export function engineWeights(s: ModelShape): Map<string, number[]> {
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const weights = new Map<string, number[]>([
    ["embed", [s.vocab, s.dim]],
    ["final_norm", [s.dim]],
  ]);
  if (!s.tiedEmbeddings) weights.set("head", [s.vocab, s.dim]);
  for (let i = 0; i < s.layers; i++) {
    const layer = `layers.${i}`;
    weights.set(`${layer}.attn_norm`, [s.dim]);
    weights.set(`${layer}.q`, [q, s.dim]);
    weights.set(`${layer}.k`, [kv, s.dim]);
    weights.set(`${layer}.v`, [kv, s.dim]);
    if (s.qkvBias) {
      weights.set(`${layer}.q_bias`, [q]);
      weights.set(`${layer}.k_bias`, [kv]);
      weights.set(`${layer}.v_bias`, [kv]);
    }
    if (s.qkNorm) {
      weights.set(`${layer}.q_norm`, [s.headDim]);
      weights.set(`${layer}.k_norm`, [s.headDim]);
    }
    weights.set(`${layer}.o`, [s.dim, q]);
    weights.set(`${layer}.ffn_norm`, [s.dim]);
    const swiglu = (prefix: string, width: number) => {
      weights.set(`${prefix}gate`, [width, s.dim]);
      weights.set(`${prefix}up`, [width, s.dim]);
      weights.set(`${prefix}down`, [s.dim, width]);
    };
    const moe = s.moe;
    if (moe && (moe.layers?.[i] ?? true)) {
      weights.set(`${layer}.router`, [moe.experts, s.dim]);
      if (moe.expertBias) weights.set(`${layer}.expert_bias`, [moe.experts]);
      for (let e = 0; e < moe.experts; e++) swiglu(`${layer}.experts.${e}.`, moe.expertFfn);
      if (moe.sharedExpertFfn > 0) swiglu(`${layer}.shared.`, moe.sharedExpertFfn);
    } else {
      swiglu(`${layer}.`, s.ffn);
    }
  }
  return weights;
}

/** Whether layer `layer` of a model of shape `s` has a mixture of experts. */
export function isMoeLayer(s: ModelShape, layer: number): boolean {
  return s.moe !== undefined && (s.moe.layers?.[layer] ?? true);
}

const weightTables = new WeakMap<ModelShape, Map<string, number[]>>();

/** The shape engine weight `key` has in a model of shape `s`. */
export function weightShape(key: string, s: ModelShape): number[] {
  let table = weightTables.get(s);
  if (!table) {
    table = engineWeights({ ...s, tiedEmbeddings: false, qkvBias: true });
    weightTables.set(s, table);
  }
  const shape = table.get(key);
  if (!shape) throw new Error(`no engine weight ${key}`);
  return shape;
}

/** Parameters of a model of shape `s` (tied embeddings counted once). */
export function countParameters(s: ModelShape): number {
  let total = 0;
  for (const shape of engineWeights(s).values()) total += shape.reduce((a, b) => a * b, 1);
  return total;
}
