// Trainer benchmark (`pnpm bench`): tokens per second of one optimiser step (forward, backward,
// AdamW) on the built-in model's shape, the default batch of the second training stage (16 × 256,
// half the positions masked), 2 threads. Writes bench/results/trainer.json.
//
// ANNEAL_ADDON=/path/to/anneal.node times another build of the addon (e.g. an older commit's) with
// the same batches, for side-by-side ratios.
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type NativeAddon, native } from "../packages/backend/src/native";

const addon = process.env.ANNEAL_ADDON
  ? (createRequire(import.meta.url)(process.env.ANNEAL_ADDON) as NativeAddon)
  : native();
const shape = {
  vocab: 8192,
  dim: 256,
  layers: 8,
  heads: 4,
  kvHeads: 4,
  headDim: 64,
  ffn: 768,
  eps: 1e-5,
  ropeTheta: 10000,
  qkvBias: false,
  tiedEmbeddings: false,
};
const BATCH = 16;
const LENGTH = 256;
const STEPS = Number(process.env.BENCH_STEPS ?? 5);
const THREADS = 2;

const trainer = await addon.createTrainer(shape, { seed: 1 }, THREADS);
const n = BATCH * LENGTH;
const inputs = new Int32Array(n);
const targets = new Int32Array(n);
const weights = new Float32Array(n);
for (let i = 0; i < n; i++) {
  targets[i] = (i * 7919) % 8000;
  const masked = i % 2 === 1;
  inputs[i] = masked ? 8185 : (targets[i] as number);
  weights[i] = masked ? 2 / n : 0;
}
const batch = { batch: BATCH, length: LENGTH, inputs, targets, weights };
await trainer.step(batch, { lr: 1e-4 }); // warm-up: buffers and caches
const times: number[] = [];
for (let s = 0; s < STEPS; s++) {
  const started = performance.now();
  await trainer.step(batch, { lr: 1e-4 });
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] as number;
const result = {
  measured: new Date().toISOString(),
  addon: process.env.ANNEAL_ADDON || "packages/backend/native/build/anneal.node",
  shape: "anneal-code-11m",
  batch: `${BATCH} × ${LENGTH}`,
  threads: THREADS,
  stepMsMedian: Math.round(median),
  tokensPerSecond: Math.round(n / (median / 1000)),
};
console.log(`trainer: ${result.tokensPerSecond} tokens/s (median step ${result.stepMsMedian} ms over ${STEPS})`);
if (!process.env.ANNEAL_ADDON) {
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/trainer.json", `${JSON.stringify(result, null, 2)}\n`);
}
