// The training loss computed by the float64 reference model: Σ weight · cross-entropy, sequence by sequence.
import { referenceLogits } from "./reference-model";
import type { TinyModelSpec, Weights } from "./write-checkpoint";

export interface Batch {
  batch: number;
  length: number;
  inputs: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
}

export function referenceLoss(spec: TinyModelSpec, weights: Weights, b: Batch): number {
  let loss = 0;
  for (let s = 0; s < b.batch; s++) {
    const tokens = b.inputs.subarray(s * b.length, (s + 1) * b.length);
    const logits = referenceLogits(spec, weights, tokens);
    logits.forEach((row, i) => {
      const w = b.weights[s * b.length + i] as number;
      if (w === 0) return;
      const max = Math.max(...row);
      const lse = Math.log(row.reduce((sum, l) => sum + Math.exp(l - max), 0)) + max;
      loss += w * (lse - (row[b.targets[s * b.length + i] as number] as number));
    });
  }
  return loss;
}
