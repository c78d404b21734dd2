// Engine benchmarks (`pnpm bench`): this machine's FMA peak (and BF16 dot peak where it has AVX-512
// BF16) and GEMM throughput for every kernel path
// it runs (portable, AVX2, AVX-512), each GEMM as a share of the widest path's peak; forward passes
// per second, and a 256-token answer per sampler and cache mode on a ~11M-parameter random
// LLaDA-format model. Writes bench/results/engine.json. Ratios are measured in this one run.
import { execFile } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type GenerateOptions, generate, loadCheckpoint, native } from "../packages/backend/src/index";
import { writeCheckpoint } from "../packages/backend/test/support/write-checkpoint";
import { writeResults } from "./support/write-results";

const THREADS = 2;
const MS = Number(process.env.BENCH_MS ?? 1500);
const spec = { vocab: 8192, dim: 256, layers: 8, heads: 4, kvHeads: 4, ffn: 768, seed: 7 };
const PROMPT = 32;
const ANSWER = 256;
const CANVAS = PROMPT + ANSWER;

const addon = native();
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

const cpu = addon.cpuInfo();
const paths = ["portable", ...(cpu.avx2 ? ["avx2"] : []), ...(cpu.avx512 ? ["avx512"] : [])] as const;
console.log(`cpu: ${cpus()[0]?.model} × ${cpus().length}; kernel paths ${paths.join(", ")}; default ${cpu.kernels}`);
// The peak of each path; GEMM figures are shares of the widest one (not of AVX2's, half the real peak).
const peaks = Object.fromEntries(
  paths.map((path) => {
    const oneThread = addon.kernels.benchPeakFma(1, MS, path);
    const twoThreads = addon.kernels.benchPeakFma(THREADS, MS, path);
    console.log(
      `peak FP32 FMA, ${path}: ${round(oneThread)} GFLOP/s (1 thread), ${round(twoThreads)} GFLOP/s (${THREADS})`,
    );
    return [path, { oneThread: round(oneThread), twoThreads: round(twoThreads) }];
  }),
) as Record<(typeof paths)[number], { oneThread: number; twoThreads: number }>;
const widestPeak = Math.max(...Object.values(peaks).map((p) => p.twoThreads));
// The BF16 dot-product peak (vdpbf16ps), which BF16 matrices reach where the CPU has AVX-512 BF16.
const bf16DotPeak = cpu.avx512Bf16
  ? {
      oneThread: round(addon.kernels.benchPeakFma(1, MS, "avx512", "bf16dot")),
      twoThreads: round(addon.kernels.benchPeakFma(THREADS, MS, "avx512", "bf16dot")),
    }
  : undefined;
if (bf16DotPeak) {
  console.log(
    `peak BF16 dot, avx512: ${bf16DotPeak.oneThread} GFLOP/s (1 thread), ${bf16DotPeak.twoThreads} GFLOP/s (${THREADS})`,
  );
}

// The matrix products of one full-canvas forward pass of the bench model, [rows × in] · [out × in]ᵀ.
const shapes = [
  { name: "q/k/v/o projection", rows: CANVAS, n: spec.dim, k: spec.dim },
  { name: "gate/up projection", rows: CANVAS, n: spec.ffn, k: spec.dim },
  { name: "down projection", rows: CANVAS, n: spec.dim, k: spec.ffn },
  { name: "LM head, one 32-token block", rows: 32, n: spec.vocab, k: spec.dim },
];
const gemm = shapes.map((s) => {
  const byPath = Object.fromEntries(
    paths.map((path) => [path, round(addon.kernels.benchGemm(s.rows, s.n, s.k, THREADS, MS / 2, path))]),
  ) as Record<(typeof paths)[number], number>;
  const gflops = byPath[cpu.kernels as (typeof paths)[number]] ?? 0;
  const result = { ...s, gflops, ofWidestPeak: round(gflops / widestPeak, 3), byPath };
  console.log(
    `gemm ${s.name} ${s.rows}×${s.n}×${s.k}: ${paths.map((p) => `${p} ${byPath[p]}`).join(", ")} GFLOP/s; ${cpu.kernels} = ${round(result.ofWidestPeak * 100)}% of the widest peak`,
  );
  return result;
});

const checkpoint = await loadCheckpoint(writeCheckpoint(spec).dir, { threads: THREADS });
const parameters = checkpoint.model.info().parameters;
console.log(`model: ${(parameters / 1e6).toFixed(1)}M parameters, canvas ${CANVAS} tokens`);

const tokens = Int32Array.from({ length: CANVAS }, (_, i) => (i * 37) % spec.vocab);
const blockRows = Int32Array.from({ length: 32 }, (_, i) => PROMPT + i);
let passes = 0;
const forwardStart = performance.now();
while (performance.now() - forwardStart < MS) {
  await checkpoint.model.forward([{ tokens, statRows: blockRows }]);
  passes++;
}
const forwardsPerSecond = (passes * 1000) / (performance.now() - forwardStart);
console.log(`full-canvas forward passes: ${round(forwardsPerSecond, 2)}/s`);

// Idle workers that poll (the default) against workers that sleep at once (ANNEAL_SPIN_US=0):
// the same forward pass on two loads of the model, alternately, so both see the same machine.
async function forwardMs(model: typeof checkpoint.model) {
  const start = performance.now();
  await model.forward([{ tokens, statRows: blockRows }]);
  return performance.now() - start;
}
const spinBefore = process.env.ANNEAL_SPIN_US;
process.env.ANNEAL_SPIN_US = "0";
const sleeping = await loadCheckpoint(writeCheckpoint(spec).dir, { threads: THREADS });
if (spinBefore === undefined) delete process.env.ANNEAL_SPIN_US;
else process.env.ANNEAL_SPIN_US = spinBefore;
const pollTimes: number[] = [];
const sleepTimes: number[] = [];
for (let i = 0; i < 15; i++) {
  pollTimes.push(await forwardMs(checkpoint.model));
  sleepTimes.push(await forwardMs(sleeping.model));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const idleWorkers = {
  pollingMsPerForward: round(median(pollTimes), 2),
  sleepingMsPerForward: round(median(sleepTimes), 2),
  speedup: round(median(sleepTimes) / median(pollTimes), 2),
};
console.log(
  `idle workers polling: ${idleWorkers.pollingMsPerForward} ms per full-canvas forward; sleeping at once: ${idleWorkers.sleepingMsPerForward} ms (${idleWorkers.speedup}×)`,
);

// More threads than cores: two processes, each forwarding with THREADS threads, at once. Polling
// threads yield their core every few microseconds, so they should cost no more than sleeping ones.
const checkpointDir = writeCheckpoint(spec).dir;
async function twoProcessesAtOnce(spinUs: string | undefined) {
  const env = { ...process.env };
  delete env.ANNEAL_SPIN_US;
  if (spinUs !== undefined) env.ANNEAL_SPIN_US = spinUs;
  const loop = fileURLToPath(new URL("./support/forward-loop.ts", import.meta.url));
  const run = () =>
    promisify(execFile)(process.execPath, ["--import", "tsx", loop, checkpointDir, String(THREADS), String(MS * 2)], {
      env,
    }).then(({ stdout }) => round(Number(stdout), 2));
  return Promise.all([run(), run()]);
}
const oversubscribed = {
  pollingMsPerForward: await twoProcessesAtOnce(undefined),
  sleepingMsPerForward: await twoProcessesAtOnce("0"),
};
console.log(
  `two ${THREADS}-thread processes at once: polling ${oversubscribed.pollingMsPerForward.join(", ")} ms per forward; sleeping at once ${oversubscribed.sleepingMsPerForward.join(", ")} ms`,
);

async function answer(name: string, options: Omit<GenerateOptions, "maxTokens">) {
  const prompt = Array.from({ length: PROMPT }, (_, i) => (i * 11) % 256);
  const iterator = generate(checkpoint, prompt, {
    maxTokens: ANSWER,
    blockLength: 32,
    earlyStop: false,
    stopIds: [],
    ...options,
  });
  let next = await iterator.next();
  while (!next.done) next = await iterator.next();
  const r = next.value;
  const tokensPerSecond = (r.tokens.length * 1000) / r.timings.totalMs;
  const row = {
    name,
    forwardPasses: r.forwardPasses,
    tokensPerForward: round(r.tokensPerForward, 2),
    tokensPerSecond: round(tokensPerSecond, 1),
    forwardsPerSecond: round((r.forwardPasses * 1000) / r.timings.forwardMs, 2),
  };
  console.log(
    `${name}: ${row.tokensPerSecond} tokens/s, ${row.tokensPerForward} tokens/forward, ${row.forwardsPerSecond} forwards/s`,
  );
  return row;
}

const samplers = [
  await answer("low_confidence, 256 steps", { sampler: "low_confidence", steps: ANSWER }),
  await answer("low_confidence, 64 steps", { sampler: "low_confidence", steps: 64 }),
  await answer("entropy, 64 steps", { sampler: "entropy", steps: 64 }),
  await answer("threshold 0.9", { sampler: "threshold", threshold: 0.9 }),
  await answer("threshold 0.7", { sampler: "threshold", threshold: 0.7 }),
  await answer("factor 1", { sampler: "factor", factor: 1 }),
];
const caches = [
  await answer("64 steps, no cache", { sampler: "low_confidence", steps: 64, cache: "none" }),
  await answer("64 steps, prefix cache", { sampler: "low_confidence", steps: 64, cache: "prefix" }),
  await answer("64 steps, dual cache", { sampler: "low_confidence", steps: 64, cache: "dual" }),
];

const results = {
  measured: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model,
    hardwareThreads: cpus().length,
    kernels: cpu.kernels,
    paths,
    threads: THREADS,
  },
  note: "random weights: a random model is rarely confident, so threshold samplers commit about one token per forward here",
  peakGflops: peaks,
  ...(bf16DotPeak ? { bf16DotPeakGflops: bf16DotPeak } : {}),
  gemm,
  model: { ...spec, parameters, canvas: CANVAS, answer: ANSWER },
  forwardsPerSecond: round(forwardsPerSecond, 2),
  idleWorkers,
  oversubscribed,
  samplers,
  caches,
  cacheSpeedup: {
    prefix: round((caches[1]?.tokensPerSecond ?? 0) / (caches[0]?.tokensPerSecond ?? 1), 2),
    dual: round((caches[2]?.tokensPerSecond ?? 0) / (caches[0]?.tokensPerSecond ?? 1), 2),
  },
};
writeResults("engine", results);
console.log(`cache speed-up over no cache: prefix ${results.cacheSpeedup.prefix}×, dual ${results.cacheSpeedup.dual}×`);
