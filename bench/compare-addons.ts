// Two builds of the addon side by side: GEMM throughput of each, measured in turns (A, B, A, B, …) in
// child processes so both see the same machine, medians and the ratio B / A printed per product.
// For a kernel change whose effect is smaller than this machine's noise between runs:
//   cp packages/backend/native/build/anneal.node /tmp/before.node   # then rebuild with the change
//   npx tsx bench/compare-addons.ts /tmp/before.node packages/backend/native/build/anneal.node \
//     --dtypes Q4_K,Q6_K --shapes 32x4096x4096,288x4096x4096 --threads 1 --rounds 5
// Pin one-thread runs to one core (`taskset -c 0 npx tsx …`) so both builds run on the same one.
// Prints only: figures for the record come from the benches that write bench/results/.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { NativeAddon, TensorDType } from "../packages/backend/src/native";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dtypes: { type: "string", default: "F32,BF16,Q8_0,Q4_K,Q6_K" },
    shapes: { type: "string", default: "32x4096x4096,288x4096x4096" },
    threads: { type: "string", default: "1" },
    rounds: { type: "string", default: "5" },
    ms: { type: "string", default: "500" },
    child: { type: "boolean", default: false },
  },
});

const dtypes = (values.dtypes as string).split(",") as TensorDType[];
const shapes = (values.shapes as string).split(",").map((s) => s.split("x").map(Number) as [number, number, number]);
const threads = Number(values.threads);
const label = (dtype: string, [rows, n, k]: number[]) => `${dtype} ${rows}×${n}×${k}`;

if (values.child) {
  // One round with one build: GFLOP/s (GOP/s) per product, as JSON on stdout.
  const addon = createRequire(import.meta.url)(resolve(positionals[0] as string)) as NativeAddon;
  const out: Record<string, number> = {};
  for (const dtype of dtypes) {
    for (const shape of shapes) {
      out[label(dtype, shape)] = addon.kernels.benchGemm(...shape, threads, Number(values.ms), "best", dtype);
    }
  }
  process.stdout.write(JSON.stringify(out));
} else {
  const [before, after] = positionals;
  if (!before || !after) throw new Error("usage: compare-addons.ts BEFORE.node AFTER.node [--dtypes …] [--shapes …]");
  const script = fileURLToPath(import.meta.url);
  const forward = process.argv.slice(2).filter((arg) => !positionals.includes(arg));
  const runs: Record<string, number>[][] = [[], []];
  for (let round = 0; round < Number(values.rounds); round++) {
    [before, after].forEach((build, i) => {
      const out = execFileSync(process.execPath, ["--import", "tsx", script, build, "--child", ...forward], {
        encoding: "utf8",
      });
      runs[i]?.push(JSON.parse(out));
    });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  console.log(`${values.rounds} rounds in turns, ${threads} thread(s); medians in GFLOP/s (GOP/s):`);
  for (const key of Object.keys(runs[0]?.[0] ?? {})) {
    const [a, b] = runs.map((rounds) => median(rounds.map((r) => r[key] ?? 0))) as [number, number];
    // Each round's B / A: how far one round's pair can stray from the medians (on a shared VM two
    // copies of one build have differed by 0.96–1.29× in medians of five rounds).
    const ratios = (runs[0] ?? []).map((round, i) => (runs[1]?.[i]?.[key] ?? 0) / (round[key] ?? 1));
    console.log(
      `${key.padEnd(24)} before ${a.toFixed(1).padStart(7)}  after ${b.toFixed(1).padStart(7)}  ×${(b / a).toFixed(2)}` +
        `  (rounds ×${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    );
  }
}
