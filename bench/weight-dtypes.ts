// Weights kept in the checkpoint's dtype (`pnpm bench`): the same random ~120M-parameter LLaDA-shaped
// model written as F32, BF16 and F16, each loaded in its own process — resident memory after loading,
// and forward passes per second for a 32-row block over a 256-token canvas (the decode shape) and for
// the whole canvas (compute-bound). 16-bit files keep 16-bit panels, so they take about half the memory
// and stream half the bytes per product; BF16 runs both ways: widened to float32, and on the CPU's BF16
// dot-product instruction where it has one (the default there).
// Writes bench/results/weight-dtypes.json; ratios are to F32, measured in this one run.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadCheckpoint } from "../packages/backend/src/index";
import { type Bf16Products, native } from "../packages/backend/src/native";
import { type DType, writeCheckpoint } from "../packages/backend/test/support/write-checkpoint";
import { writeResults } from "./support/write-results";

const MS = Number(process.env.BENCH_MS ?? 3000);
const THREADS = 2;
const CANVAS = 256;
const spec = { vocab: 32000, dim: 1024, layers: 6, heads: 16, kvHeads: 16, ffn: 2816, seed: 3 };

/** In a child process: load the checkpoint, report RSS, time forward passes of one 32-row block. */
async function measure(dir: string, bf16: Bf16Products) {
  const before = process.memoryUsage().rss;
  const checkpoint = await loadCheckpoint(dir, { threads: THREADS, bf16 });
  const info = checkpoint.model.info();
  const rss = process.memoryUsage().rss - before;
  const tokens = Int32Array.from({ length: CANVAS }, (_, i) => (i * 37) % spec.vocab);
  const statRows = Int32Array.from({ length: 32 }, (_, i) => 64 + i);
  const block = { tokens, statRows, rowBegin: 64, rowEnd: 96, attendLength: CANVAS };
  const cache = checkpoint.model.createCache(CANVAS);
  await checkpoint.model.forward([{ tokens, statRows, cache }]); // fills the cache, warms up
  let passes = 0;
  const started = performance.now();
  while (performance.now() - started < MS) {
    await checkpoint.model.forward([{ ...block, cache }]);
    passes++;
  }
  const seconds = (performance.now() - started) / 1000;
  let canvasPasses = 0;
  const canvasStarted = performance.now();
  while (performance.now() - canvasStarted < MS) {
    await checkpoint.model.forward([{ tokens, statRows }]);
    canvasPasses++;
  }
  return {
    parameters: info.parameters,
    kernels: info.kernels,
    bf16: info.bf16,
    rssMiB: rss / 2 ** 20,
    forwardsPerSecond: passes / seconds,
    canvasForwardsPerSecond: (canvasPasses * 1000) / (performance.now() - canvasStarted),
  };
}

if (process.argv[2] === "--child") {
  process.stdout.write(JSON.stringify(await measure(process.argv[3] as string, process.argv[4] as Bf16Products)));
} else {
  const rows = [];
  const runs: [DType, Bf16Products][] = [
    ["F32", "widen"],
    ["BF16", "widen"],
    ...(native().cpuInfo().avx512Bf16 ? ([["BF16", "dot"]] as [DType, Bf16Products][]) : []),
    ["F16", "widen"],
  ];
  for (const [dtype, bf16] of runs) {
    const { dir } = writeCheckpoint({ ...spec, dtype });
    const script = fileURLToPath(import.meta.url);
    const out = execFileSync(process.execPath, ["--import", "tsx", script, "--child", dir, bf16], { encoding: "utf8" });
    rmSync(dir, { recursive: true, force: true });
    const name = dtype === "BF16" ? `BF16 (${bf16})` : dtype;
    const row = { dtype: name, ...(JSON.parse(out) as Awaited<ReturnType<typeof measure>>) };
    rows.push(row);
    console.log(
      `${name}: ${(row.parameters / 1e6).toFixed(0)}M parameters, ${row.rssMiB.toFixed(0)} MiB resident after load, ${row.forwardsPerSecond.toFixed(2)} block forwards/s, ${row.canvasForwardsPerSecond.toFixed(2)} canvas forwards/s (${row.kernels})`,
    );
  }
  const f32 = rows[0] as (typeof rows)[number];
  const results = {
    measured: new Date().toISOString(),
    shape: spec,
    threads: THREADS,
    canvas: CANVAS,
    note: "block forward: 32 rows attending over a 256-token cached canvas; canvas forward: all 256 rows; rss measured in a fresh process per dtype",
    rows: rows.map((r) => ({
      ...r,
      rssMiB: Math.round(r.rssMiB),
      forwardsPerSecond: Number(r.forwardsPerSecond.toFixed(2)),
      canvasForwardsPerSecond: Number(r.canvasForwardsPerSecond.toFixed(2)),
      memoryVsF32: Number((r.rssMiB / f32.rssMiB).toFixed(2)),
      speedVsF32: Number((r.forwardsPerSecond / f32.forwardsPerSecond).toFixed(2)),
      canvasSpeedVsF32: Number((r.canvasForwardsPerSecond / f32.canvasForwardsPerSecond).toFixed(2)),
    })),
  };
  writeResults("weight-dtypes", results);
}
