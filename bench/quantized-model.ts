// The built-in model in every weight format (`pnpm bench`): F32, BF16 (as stored), Q8_0 and Q4_K_M
// GGUF files written by `anneal convert`, and the folder quantized at load (q8_0, q4_k). Each loads in
// its own process: resident memory after loading, the engine's weight bytes, forward passes per second
// for a 32-row block over a 288-token cached canvas, tokens per second for a 256-token answer, and the
// quality cost: held-out masked-token accuracy on the engine as served, how often its prediction at a
// masked position agrees with F32's, and how many tokens of greedy answers equal F32's.
// Writes bench/results/quantized-model.json; ratios are to F32, measured in this one run.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { exportGguf } from "../packages/backend/src/checkpoint/gguf-export";
import type { QuantizeChoice } from "../packages/backend/src/checkpoint/load";
import { defaultModelDir, generate, loadCheckpoint } from "../packages/backend/src/index";
import { collectDocuments, splitHeldOut, workspacePackageRoots } from "../packages/backend/src/train/corpus";
import { TrainingData } from "../packages/backend/src/train/dataset";
import { evaluateHeldOutOnEngine } from "../packages/backend/src/train/evaluate";
import { writeResults } from "./support/write-results";

const MS = Number(process.env.BENCH_MS ?? 3000);
const THREADS = 2;
const CANVAS = 288;
const PROMPTS = [
  "Write a function that parses a date string.",
  "export function clamp(",
  "How do I read a file in Node?",
];

interface Measured {
  weights: string;
  int8: string;
  weightMiB: number;
  rssMiB: number;
  forwardsPerSecond: number;
  tokensPerSecond: number;
  heldOutAccuracy: number;
  predictions: number[];
  answers: number[][];
}

/** In a child process: everything measured for one format. */
async function measure(path: string, quantize: QuantizeChoice | undefined): Promise<Measured> {
  const before = process.memoryUsage().rss;
  const checkpoint = await loadCheckpoint(path, { threads: THREADS, ...(quantize ? { quantize } : {}) });
  const { model, architecture, tokenizer } = checkpoint;
  const info = model.info();

  const tokens = Int32Array.from({ length: CANVAS }, (_, i) => (i * 37) % architecture.shape.vocab);
  const statRows = Int32Array.from({ length: 32 }, (_, i) => 32 + i);
  const cache = model.createCache(CANVAS);
  await model.forward([{ tokens, statRows, cache }]); // fills the cache, warms up
  let passes = 0;
  const started = performance.now();
  while (performance.now() - started < MS) {
    await model.forward([{ tokens, statRows, rowBegin: 32, rowEnd: 64, attendLength: CANVAS, cache }]);
    passes++;
  }
  const forwardsPerSecond = (passes * 1000) / (performance.now() - started);
  // After forward passes, so that a mapped file's pages count once every weight has been read.
  const rss = process.memoryUsage().rss - before;

  const answers: number[][] = [];
  let answerTokens = 0;
  let answerMs = 0;
  for (const prompt of PROMPTS) {
    const ids = tokenizer.encode(
      checkpoint.chatTemplate?.render([{ role: "user", content: prompt }], { addGenerationPrompt: true }) ?? prompt,
    );
    const run = generate(checkpoint, ids, {
      maxTokens: 256,
      sampler: "low_confidence",
      steps: 256,
      blockLength: 32,
      stopIds: [],
      earlyStop: false,
    });
    let next = await run.next();
    while (!next.done) next = await run.next();
    answers.push(Array.from(next.value.tokens));
    answerTokens += next.value.tokens.length;
    answerMs += next.value.timings.totalMs;
  }

  const workspace = fileURLToPath(new URL("..", import.meta.url));
  const { heldOut } = splitHeldOut(collectDocuments(workspacePackageRoots(workspace)), 0.02);
  const template = checkpoint.chatTemplate;
  if (!template) throw new Error("the built-in model has no chat template");
  const ids = { mask: architecture.maskId, eos: architecture.stopIds[0] as number };
  const data = new TrainingData(heldOut, tokenizer, template, ids, 256, { pretrain: 1, sft: 0, fim: 0 });
  const held = await evaluateHeldOutOnEngine(model, data, 64, 8, 1, architecture.shiftLogits);
  return {
    weights: info.weights ?? "?",
    int8: info.int8 ?? "?",
    weightMiB: (info.weightBytes ?? 0) / 2 ** 20,
    rssMiB: rss / 2 ** 20,
    forwardsPerSecond,
    tokensPerSecond: (answerTokens * 1000) / answerMs,
    heldOutAccuracy: held.accuracy,
    predictions: Array.from(held.predictions),
    answers,
  };
}

const share = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return a.length ? same / a.length : 0;
};
const round = (value: number, digits = 3) => Number(value.toFixed(digits));

if (process.argv[2] === "--child") {
  const quantize = process.argv[4] === "-" ? undefined : (process.argv[4] as QuantizeChoice);
  process.stdout.write(JSON.stringify(await measure(process.argv[3] as string, quantize)));
} else {
  const dir = defaultModelDir();
  if (!dir) throw new Error("the built-in model is missing");
  const scratch = mkdtempSync(join(tmpdir(), "anneal-bench-quantized-"));
  const file = (type: "f32" | "q8_0" | "q4_k_m" | "q4_0") => {
    const out = join(scratch, `model-${type}.gguf`);
    exportGguf(dir, out, type);
    return out;
  };
  const formats: { name: string; path: string; quantize?: QuantizeChoice }[] = [
    { name: "F32 (GGUF)", path: file("f32") },
    { name: "BF16 (safetensors, as stored)", path: dir },
    { name: "Q8_0 (GGUF)", path: file("q8_0") },
    { name: "Q4_K_M (GGUF)", path: file("q4_k_m") },
    { name: "Q4_0 (GGUF)", path: file("q4_0") },
    { name: "q8_0 at load", path: dir, quantize: "q8_0" },
    { name: "q4_k at load", path: dir, quantize: "q4_k" },
  ];
  const measured = formats.map((format) => {
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", fileURLToPath(import.meta.url), "--child", format.path, format.quantize ?? "-"],
      { encoding: "utf8", maxBuffer: 64 << 20 },
    );
    return { ...format, ...(JSON.parse(out) as Measured) };
  });
  const f32 = measured[0] as (typeof measured)[number];
  const rows = measured.map((m) => {
    const row = {
      format: m.name,
      weights: m.weights,
      int8: m.weights.includes("Q") ? m.int8 : undefined,
      weightMiB: round(m.weightMiB, 1),
      rssMiB: round(m.rssMiB, 1),
      forwardsPerSecond: round(m.forwardsPerSecond, 1),
      tokensPerSecond: round(m.tokensPerSecond, 1),
      speedVsF32: round(m.forwardsPerSecond / f32.forwardsPerSecond, 2),
      heldOutAccuracy: round(m.heldOutAccuracy),
      maskedAgreementWithF32: round(share(m.predictions, f32.predictions)),
      greedyTokensEqualToF32: round(share(m.answers.flat(), f32.answers.flat())),
    };
    console.log(
      `${row.format}: ${row.weights}, ${row.weightMiB} MiB weights, rss ${row.rssMiB} MiB, ${row.forwardsPerSecond} block forwards/s (${row.speedVsF32}× F32), ${row.tokensPerSecond} tokens/s; held-out accuracy ${row.heldOutAccuracy}, agrees with F32 at ${row.maskedAgreementWithF32} of masked positions, greedy answers ${row.greedyTokensEqualToF32} equal`,
    );
    return row;
  });
  writeResults("quantized-model", {
    measured: new Date().toISOString(),
    model: dir.split("/").at(-1),
    threads: THREADS,
    note: "block forward: 32 rows over a 288-token cached canvas; answers: 3 prompts × 256 tokens, one token per step; held-out: 64 windows of 256 tokens, the masks training uses; rss: what a fresh process per format gained by loading and running forward passes (a mapped file's pages included)",
    rows,
  });
}
