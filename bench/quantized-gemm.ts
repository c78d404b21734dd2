// Matrix products in every weight format (`pnpm bench`): y = x · Wᵀ with W as F32, BF16 (widened,
// and on the BF16 dot-product instruction where the CPU has it), Q8_0, Q4_0, Q4_K, Q5_K and Q6_K, on the
// built-in model's shapes and on LLaDA-8B's (d 4096, MLP 12288), at 32 rows (a decode block) and 288
// (a whole canvas). Each is reported as GFLOP/s, as a share of this machine's widest FP32 FMA peak
// (BF16 dot products of its BF16 dot peak too, quantized ones of its int8 dot-product peak where
// measured), and as weight bytes streamed per second against the memory bandwidth measured here (a
// large copy on 1 and 2 threads). Where the quantized products run on sixteen-row panels (AVX-512
// VNNI's dpbusd, or AVX2's maddubs), the row-at-a-time products are measured beside them ("<type>
// rows"). Writes bench/results/quantized-gemm.json.
import { cpus } from "node:os";
import { Worker } from "node:worker_threads";
import { bytesPerElement } from "../packages/backend/src/checkpoint/gguf";
import { type Bf16Products, native, type TensorDType } from "../packages/backend/src/native";
import { writeResults } from "./support/write-results";

const THREADS = 2;
const MS = Number(process.env.BENCH_MS ?? 600);
const addon = native();
const cpu = addon.cpuInfo();
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** Bytes read plus bytes written per second by `threads` threads each copying its own 256 MiB, best of 5. */
async function copyBandwidth(threads: number): Promise<number> {
  const source = `
    const { parentPort } = require("node:worker_threads");
    const a = Buffer.alloc(256 << 20, 1), b = Buffer.alloc(256 << 20, 2);
    parentPort.on("message", () => { a.copy(b); parentPort.postMessage(0); });
    parentPort.postMessage(0);`;
  const workers = Array.from({ length: threads }, () => new Worker(source, { eval: true }));
  const round = () => Promise.all(workers.map((w) => new Promise((resolve) => w.once("message", resolve))));
  await round(); // allocated and touched
  let best = 0;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const done = round();
    for (const w of workers) w.postMessage(0);
    await done;
    best = Math.max(best, (threads * 2 * (256 << 20)) / ((performance.now() - started) / 1000));
  }
  await Promise.all(workers.map((w) => w.terminate()));
  return best;
}

const bandwidth = { oneThread: await copyBandwidth(1), twoThreads: await copyBandwidth(THREADS) };
console.log(
  `copy bandwidth (read + write): ${round(bandwidth.oneThread / 1e9)} GB/s on 1 thread, ${round(bandwidth.twoThreads / 1e9)} GB/s on ${THREADS}`,
);
const paths = ["portable", ...(cpu.avx2 ? ["avx2"] : []), ...(cpu.avx512 ? ["avx512"] : [])];
// The peak is the best of several tries (a neighbour on a shared machine only ever lowers it); it is
// measured again after the products, and the higher figure counts.
const measurePeak = () =>
  Math.max(...paths.flatMap((path) => [1, 2, 3].map(() => addon.kernels.benchPeakFma(THREADS, MS / 2, path))));
let peak = measurePeak();
const bf16DotPeak = cpu.avx512Bf16
  ? Math.max(...[1, 2, 3].map(() => addon.kernels.benchPeakFma(THREADS, MS / 2, "avx512", "bf16dot")))
  : undefined;
// The quantized products run on panels wherever the CPU has AVX2 (portable C++ multiplies rows).
const panels = cpu.int8 !== "portable";
const int8Peak = panels
  ? Math.max(...[1, 2, 3].map(() => addon.kernels.benchPeakFma(THREADS, MS / 2, undefined, "int8dot")))
  : undefined;

/**
 * Each weight format measured: its label, its dtype, how BF16 is multiplied, how quantized rows are
 * laid out ("rows": as stored; "panel": panels one at a time, beside the pair tiles Q8_0 and Q4_K have).
 */
const FORMATS: { label: string; dtype: TensorDType; bf16: Bf16Products; layout?: "rows" | "panel" }[] = [
  { label: "F32", dtype: "F32", bf16: "widen" },
  { label: "BF16", dtype: "BF16", bf16: "widen" },
  ...(cpu.avx512Bf16 ? [{ label: "BF16 dot", dtype: "BF16" as const, bf16: "dot" as const }] : []),
  ...(["Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"] as const).flatMap((dtype) => [
    { label: dtype, dtype, bf16: "widen" as const },
    ...(cpu.int8 === "vnni" && (dtype === "Q8_0" || dtype === "Q4_K")
      ? [{ label: `${dtype} one panel`, dtype, bf16: "widen" as const, layout: "panel" as const }]
      : []),
    ...(panels ? [{ label: `${dtype} rows`, dtype, bf16: "widen" as const, layout: "rows" as const }] : []),
  ]),
];
const SHAPES = [
  { model: "built-in", name: "q/k/v/o", n: 256, k: 256 },
  { model: "built-in", name: "gate/up", n: 768, k: 256 },
  { model: "built-in", name: "down", n: 256, k: 768 },
  { model: "built-in", name: "LM head", n: 8192, k: 256 },
  { model: "LLaDA-8B", name: "q/k/v/o", n: 4096, k: 4096 },
  { model: "LLaDA-8B", name: "gate/up", n: 12288, k: 4096 },
  { model: "LLaDA-8B", name: "down", n: 4096, k: 12288 },
];
// Each product is measured in ROUNDS sweeps over every shape and format, and its best sweep counts, as
// for the peak: a neighbour on a shared machine only ever lowers a figure, and sweeps spread each
// product's tries over the run, so one busy moment cannot set the figure of a whole shape.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const best = new Map<string, number>();
for (let sweep = 0; sweep < ROUNDS; sweep++) {
  for (const shape of SHAPES) {
    for (const m of [32, 288]) {
      for (const { label, dtype, bf16, layout } of FORMATS) {
        const kernels = cpu.kernels as "avx512";
        const gflops = addon.kernels.benchGemm(m, shape.n, shape.k, THREADS, MS, kernels, dtype, bf16, layout);
        const key = `${shape.model} ${shape.name} ${m} ${label}`;
        best.set(key, Math.max(best.get(key) ?? 0, gflops));
      }
    }
  }
}
const rows = [];
for (const shape of SHAPES) {
  for (const m of [32, 288]) {
    const byDtype = Object.fromEntries(
      FORMATS.map(({ label, dtype, bf16 }) => {
        const gflops = best.get(`${shape.model} ${shape.name} ${m} ${label}`) as number;
        const seconds = (2 * m * shape.n * shape.k) / (gflops * 1e9);
        const weightBytesPerSecond = (shape.n * shape.k * bytesPerElement(dtype)) / seconds;
        return [
          label,
          {
            gflops: round(gflops),
            ofFp32Peak: round(gflops / peak, 3),
            ...(bf16 === "dot" && bf16DotPeak ? { ofBf16DotPeak: round(gflops / bf16DotPeak, 3) } : {}),
            ...(dtype.startsWith("Q") && int8Peak ? { ofInt8Peak: round(gflops / int8Peak, 3) } : {}),
            weightGBs: round(weightBytesPerSecond / 1e9, 2),
            ofCopyBandwidth: round(weightBytesPerSecond / bandwidth.twoThreads, 3),
          },
        ];
      }),
    );
    console.log(
      `${shape.model} ${shape.name} ${m}×${shape.n}×${shape.k}: ${FORMATS.map(({ label }) => `${label} ${byDtype[label]?.gflops} GFLOP/s (${byDtype[label]?.weightGBs} GB/s)`).join(", ")}`,
    );
    rows.push({ ...shape, rows: m, byDtype });
  }
}
const peakAfter = measurePeak();
if (peakAfter > peak) {
  for (const row of rows) {
    for (const figures of Object.values(row.byDtype)) figures.ofFp32Peak = round(figures.gflops / peakAfter, 3);
  }
  peak = peakAfter;
}
console.log(
  `widest FP32 FMA peak: ${round(peak)} GFLOP/s on ${THREADS} threads${bf16DotPeak ? `; BF16 dot peak ${round(bf16DotPeak)} GFLOP/s` : ""}${int8Peak ? `; int8 dot peak ${round(int8Peak)} GOP/s` : ""}; kernels ${cpu.kernels}, int8 ${cpu.int8}`,
);
writeResults("quantized-gemm", {
  measured: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model,
    hardwareThreads: cpus().length,
    kernels: cpu.kernels,
    int8: cpu.int8,
    threads: THREADS,
  },
  copyBandwidthGBs: { oneThread: round(bandwidth.oneThread / 1e9), twoThreads: round(bandwidth.twoThreads / 1e9) },
  fp32PeakGflops: round(peak),
  ...(bf16DotPeak ? { bf16DotPeakGflops: round(bf16DotPeak) } : {}),
  ...(int8Peak ? { int8DotPeakGops: round(int8Peak) } : {}),
  rounds: ROUNDS,
  note: "each product the best of `rounds` sweeps, as the peaks are best of three; quantized products count 2 operations per weight × row like the float ones; weight GB/s = the weight format's bytes streamed per second; ofCopyBandwidth against the 2-thread copy (read + write bytes)",
  gemm: rows,
});
