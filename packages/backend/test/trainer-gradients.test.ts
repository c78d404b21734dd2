// The trainer's backward pass against finite differences of the float64 reference loss, every
// parameter tensor of both layouts; AdamW against a direct implementation; a loss that falls.
import { describe, expect, it } from "vitest";
import { type NativeTrainer, native } from "../src/native";
import { type Batch, referenceLoss } from "./support/reference-loss";
import { MASK_ID, makeWeights, shapeOf, type TinyModelSpec, type Weights } from "./support/write-checkpoint";

const base: TinyModelSpec = {
  family: "llada",
  vocab: 260,
  dim: 16,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  ffn: 24,
  ropeTheta: 10000,
  eps: 1e-5,
  tied: false,
  qkvBias: true,
  dtype: "F32",
  shards: 1,
  seed: 5,
};

/** A trainer holding exactly the reference's weights. */
async function trainerWith(spec: TinyModelSpec, weights: Weights): Promise<NativeTrainer> {
  const trainer = await native().createTrainer(shapeOf(spec), { seed: 1 }, 2);
  expect(trainer.keys().sort()).toEqual([...weights.keys()].sort());
  for (const [key, { values }] of weights) trainer.set(key, "value", values);
  return trainer;
}

/** Two sequences of six tokens; masked positions carry weight 1/p, one clean position weight 0.5. */
const batch: Batch = {
  batch: 2,
  length: 6,
  inputs: Int32Array.from([72, MASK_ID, 108, MASK_ID, 111, 33, MASK_ID, 65, MASK_ID, MASK_ID, 10, 200]),
  targets: Int32Array.from([72, 101, 108, 108, 111, 33, 90, 65, 66, 67, 10, 200]),
  weights: Float32Array.from([0, 2, 0, 2, 0, 0.5, 1.5, 0, 1.5, 1.5, 0, 0]),
};

describe.each([
  ["untied, qkv bias, GQA", base],
  ["tied embeddings, no bias", { ...base, tied: true, qkvBias: false, kvHeads: 4, seed: 6 }],
])("gradients (%s)", (_, spec) => {
  it("the loss equals the reference loss", async () => {
    const weights = makeWeights(spec);
    const trainer = await trainerWith(spec, weights);
    const result = await trainer.gradients(batch);
    expect(result.loss).toBeCloseTo(referenceLoss(spec, weights, batch), 3);
    expect(result.counted).toBe(6);
  });

  it("every parameter's gradient matches finite differences of the reference loss", async () => {
    const weights = makeWeights(spec);
    const trainer = await trainerWith(spec, weights);
    await trainer.gradients(batch);
    const h = 1e-3;
    let checked = 0;
    for (const [key, entry] of weights) {
      const analytic = trainer.get(key, "grad");
      // three entries per tensor: the first, the largest-gradient one and one in the middle
      const largest = analytic.reduce((best, g, i) => (Math.abs(g) > Math.abs(analytic[best] as number) ? i : best), 0);
      for (const index of new Set([0, largest, Math.floor(entry.values.length / 2)])) {
        const original = entry.values[index] as number;
        entry.values[index] = original + h;
        const up = referenceLoss(spec, weights, batch);
        entry.values[index] = original - h;
        const down = referenceLoss(spec, weights, batch);
        entry.values[index] = original;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs((analytic[index] as number) - numeric), `${key}[${index}]`).toBeLessThan(
          2e-3 + 2e-2 * Math.abs(numeric),
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});

describe("AdamW", () => {
  it("applies clipping, bias correction and decoupled weight decay exactly", async () => {
    const spec = base;
    const weights = makeWeights(spec);
    const trainer = await trainerWith(spec, weights);
    const { gradNorm } = await trainer.gradients(batch);
    const grads = new Map(trainer.keys().map((key) => [key, trainer.get(key, "grad")]));
    const settings = { lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, clip: gradNorm / 2 };
    const result = await trainer.step(batch, settings);
    expect(result.gradNorm).toBeCloseTo(gradNorm, 5);
    expect(trainer.stepCount).toBe(1);
    const clip = settings.clip / gradNorm;
    for (const [key, { values }] of weights) {
      const decays = !/norm|bias/.test(key);
      const updated = trainer.get(key, "value");
      const g = grads.get(key) as Float32Array;
      for (const i of [0, values.length - 1]) {
        const gi = (g[i] as number) * clip;
        const m = (1 - 0.9) * gi;
        const v = (1 - 0.95) * gi * gi;
        const mHat = m / (1 - 0.9);
        const vHat = v / (1 - 0.95);
        const w = values[i] as number;
        const expected = w - 0.01 * (mHat / (Math.sqrt(vHat) + 1e-8) + (decays ? 0.1 * w : 0));
        expect(updated[i], `${key}[${i}]`).toBeCloseTo(expected, 5);
      }
    }
    expect(trainer.get("layers.0.q", "m").some((m) => m !== 0)).toBe(true);
  });

  it("drives the loss down on a batch it sees repeatedly", async () => {
    const trainer = await native().createTrainer(shapeOf(base), { seed: 3 }, 2);
    const first = await trainer.evaluate(batch);
    for (let i = 0; i < 40; i++) await trainer.step(batch, { lr: 0.02, weightDecay: 0 });
    const last = await trainer.evaluate(batch);
    expect(last.loss).toBeLessThan(first.loss / 4);
    expect(last.correct).toBeGreaterThan(first.correct);
  });
});

describe("bad training input", () => {
  it("is rejected, never a crash", async () => {
    const trainer = await native().createTrainer(shapeOf(base), { seed: 3 }, 1);
    await expect(trainer.step({ ...batch, batch: 3 }, { lr: 0.1 })).rejects.toThrow(/batch × length/);
    await expect(trainer.gradients({ ...batch, inputs: Int32Array.from(batch.inputs, () => 9999) })).rejects.toThrow(
      /vocabulary/,
    );
    expect(() => trainer.get("layers.9.q")).toThrow(/no trainable tensor/);
    expect(() => trainer.set("embed", "value", new Float32Array(3))).toThrow(/expected/);
  });
});
