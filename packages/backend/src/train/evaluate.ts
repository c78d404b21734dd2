// Held-out masked-token accuracy: fixed windows with fixed masks, so runs and checkpoints compare.
import type { NativeModel, NativeSequence, NativeTrainer } from "../native";
import { shiftTargets, type TrainingData } from "./dataset";

export interface HeldOutResult {
  /** Share of masked held-out tokens whose argmax is right. */
  accuracy: number;
  /** Mean masked cross-entropy per sequence (the training objective's scale). */
  loss: number;
  masked: number;
}

export async function evaluateHeldOut(
  trainer: NativeTrainer,
  data: TrainingData,
  sequences: number,
  batchSize: number,
  seed: number,
  /** The model predicts token i at row i − 1 (Dream): its targets move one row up, as in training. */
  shift = false,
): Promise<HeldOutResult> {
  let correct = 0;
  let masked = 0;
  let loss = 0;
  const batches = Math.max(1, Math.ceil(sequences / batchSize));
  for (let b = 0; b < batches; b++) {
    // Batches "below zero" never occur in training: they are the evaluation set's own.
    const batch = data.batch(-1 - b, batchSize, seed ^ 0x5eed);
    const result = await trainer.evaluate(shift ? shiftTargets(batch) : batch);
    correct += result.correct;
    masked += result.counted;
    loss += result.loss;
  }
  return { accuracy: masked > 0 ? correct / masked : 0, loss: loss / batches, masked };
}

/**
 * The same measure on the inference engine (as served: quantized weights and int8 products
 * included), for evaluating a checkpoint rather than a training run. `shift`: the model predicts
 * token i at row i − 1 (Dream).
 */
export async function evaluateHeldOutOnEngine(
  model: NativeModel,
  data: TrainingData,
  sequences: number,
  batchSize: number,
  seed: number,
  shift: boolean,
): Promise<Omit<HeldOutResult, "loss"> & { predictions: Int32Array }> {
  let correct = 0;
  let masked = 0;
  const predictions: number[] = []; // the argmax at each scored position, in order (to compare models)
  const batches = Math.max(1, Math.ceil(sequences / batchSize));
  for (let b = 0; b < batches; b++) {
    const batch = data.batch(-1 - b, batchSize, seed ^ 0x5eed); // the same windows and masks as above
    const inputs: NativeSequence[] = [];
    const scored: number[][] = [];
    for (let s = 0; s < batch.batch; s++) {
      const at = s * batch.length;
      const positions: number[] = [];
      for (let i = shift ? 1 : 0; i < batch.length; i++) if ((batch.weights[at + i] as number) > 0) positions.push(i);
      scored.push(positions);
      inputs.push({
        tokens: batch.inputs.subarray(at, at + batch.length),
        statRows: Int32Array.from(positions, (i) => i - (shift ? 1 : 0)),
      });
    }
    const stats = await model.forward(inputs);
    stats.forEach((stat, s) => {
      scored[s]?.forEach((i, row) => {
        predictions.push(stat.argmax[row] as number);
        if (stat.argmax[row] === batch.targets[s * batch.length + i]) correct++;
        masked++;
      });
    });
  }
  return { accuracy: masked > 0 ? correct / masked : 0, masked, predictions: Int32Array.from(predictions) };
}
