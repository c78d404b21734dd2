// Held-out masked-token accuracy: fixed windows with fixed masks, so runs and checkpoints compare.
import type { NativeTrainer } from "../native";
import type { TrainingData } from "./dataset";

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
): Promise<HeldOutResult> {
  let correct = 0;
  let masked = 0;
  let loss = 0;
  const batches = Math.max(1, Math.ceil(sequences / batchSize));
  for (let b = 0; b < batches; b++) {
    // Batches "below zero" never occur in training: they are the evaluation set's own.
    const result = await trainer.evaluate(data.batch(-1 - b, batchSize, seed ^ 0x5eed));
    correct += result.correct;
    masked += result.counted;
    loss += result.loss;
  }
  return { accuracy: masked > 0 ? correct / masked : 0, loss: loss / batches, masked };
}
