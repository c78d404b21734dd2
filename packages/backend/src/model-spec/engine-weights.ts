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
    weights.set(`${layer}.o`, [s.dim, q]);
    weights.set(`${layer}.ffn_norm`, [s.dim]);
    weights.set(`${layer}.gate`, [s.ffn, s.dim]);
    weights.set(`${layer}.up`, [s.ffn, s.dim]);
    weights.set(`${layer}.down`, [s.dim, s.ffn]);
  }
  return weights;
}

/** The shape engine weight `key` has in a model of shape `s`. */
export function weightShape(key: string, s: ModelShape): number[] {
  // Every layer has the same leaves: look the key up in a one-layer model.
  const leaf = key.replace(/^layers\.\d+\./, "layers.0.");
  const shape = engineWeights({ ...s, layers: 1, tiedEmbeddings: false, qkvBias: true }).get(leaf);
  if (!shape) throw new Error(`no engine weight ${key}`);
  return shape;
}

/** Parameters of a model of shape `s` (tied embeddings counted once). */
export function countParameters(s: ModelShape): number {
  let total = 0;
  for (const shape of engineWeights(s).values()) total += shape.reduce((a, b) => a * b, 1);
  return total;
}
