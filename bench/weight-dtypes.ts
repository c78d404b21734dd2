// Weights kept in the checkpoint's dtype (`pnpm bench`): the same random ~120M-parameter LLaDA-shaped
// model written as F32, BF16 and F16, each loaded in its own process — resident memory after loading,
// and forward passes per second for a 32-row block over a 256-token canvas (the decode shape). 16-bit
// files keep 16-bit panels, so they take about half the memory and stream half the bytes per product.
// Writes bench/results/weight-dtypes.json; ratios are to F32, measured in this one run.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadCheckpoint } from "../packages/backend/src/index";
import { writeCheckpoint } from "../packages/backend/test/support/write-checkpoint";

const MS = Number(process.env.BENCH_MS ?? 3000);
const THREADS = 2;
const CANVAS = 256;
const spec = { vocab: 32000, dim: 1024, layers: 6, heads: 16, kvHeads: 16, ffn: 2816, seed: 3 };

/** In a child process: load the checkpoint, report RSS, time forward passes of one 32-row block. */
async function measure(dir: string) {
  const before = process.memoryUsage().rss;
  const checkpoint = await loadCheckpoint(dir, { threads: THREADS });
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
  return {
    parameters: info.parameters,
    kernels: info.kernels,
    rssMiB: rss / 2 ** 20,
    forwardsPerSecond: passes / seconds,
  };
}

if (process.argv[2] === "--child") {
  process.stdout.write(JSON.stringify(await measure(process.argv[3] as string)));
} else {
  const rows = [];
  for (const dtype of ["F32", "BF16", "F16"] as const) {
    const { dir } = writeCheckpoint({ ...spec, dtype });
    const out = execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", dir], {
      encoding: "utf8",
    });
    rmSync(dir, { recursive: true, force: true });
    const row = { dtype, ...(JSON.parse(out) as Awaited<ReturnType<typeof measure>>) };
    rows.push(row);
    console.log(
      `${dtype}: ${(row.parameters / 1e6).toFixed(0)}M parameters, ${row.rssMiB.toFixed(0)} MiB resident after load, ${row.forwardsPerSecond.toFixed(2)} block forwards/s (${row.kernels})`,
    );
  }
  const f32 = rows[0] as (typeof rows)[number];
  const results = {
    measured: new Date().toISOString(),
    shape: spec,
    threads: THREADS,
    canvas: CANVAS,
    note: "block forward: 32 rows attending over a 256-token cached canvas; rss measured in a fresh process per dtype",
    rows: rows.map((r) => ({
      ...r,
      rssMiB: Math.round(r.rssMiB),
      forwardsPerSecond: Number(r.forwardsPerSecond.toFixed(2)),
      memoryVsF32: Number((r.rssMiB / f32.rssMiB).toFixed(2)),
      speedVsF32: Number((r.forwardsPerSecond / f32.forwardsPerSecond).toFixed(2)),
    })),
  };
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/weight-dtypes.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
}
