// The shape every engine weight must have, from the model's dimensions.
import type { ModelShape } from "../native";

export function expectedShape(key: string, s: ModelShape): number[] {
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const leaf = key.split(".").at(-1) as string;
  const shapes: Record<string, number[]> = {
    embed: [s.vocab, s.dim],
    head: [s.vocab, s.dim],
    final_norm: [s.dim],
    attn_norm: [s.dim],
    ffn_norm: [s.dim],
    q: [q, s.dim],
    k: [kv, s.dim],
    v: [kv, s.dim],
    q_bias: [q],
    k_bias: [kv],
    v_bias: [kv],
    o: [s.dim, q],
    gate: [s.ffn, s.dim],
    up: [s.ffn, s.dim],
    down: [s.dim, s.ffn],
  };
  const shape = shapes[leaf];
  if (!shape) throw new Error(`no expected shape for ${key}`);
  return shape;
}
