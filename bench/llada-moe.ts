// A LLaDA-MoE-7B-A1B-shaped model on this CPU (`pnpm bench`): random weights written as a Q4_K_M GGUF
// file with each layer's 64 experts stacked (d 2048, 16 layers, 16 heads of 128, q/k norms, 64 experts
// of width 1024 with 8 per token, vocab 157184: 7.4B parameters, 1.4B active per token), measured in
// its own process as bench/llada-8b.ts measures the dense 8B model (support/random-gguf-model.ts).
// The ratio to the 8B model is of two runs of the same measurement; run them together (pnpm bench).
// Writes bench/results/llada-moe.json. Needs ~5 GB of disk in the temp folder and ~6 GB of memory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ModelShape } from "../packages/backend/src/native";
import { benchRandomModel, measureForwards, type RandomModel } from "./support/random-gguf-model";
import { writeResults } from "./support/write-results";

const THREADS = 2;
const CANVAS = 288;
const SHAPE: ModelShape = {
  vocab: 157184,
  dim: 2048,
  layers: 16,
  heads: 16,
  kvHeads: 16,
  headDim: 128,
  ffn: 1024,
  eps: 1e-5,
  ropeTheta: 50000,
  qkvBias: false,
  tiedEmbeddings: false,
  qkNorm: true,
  moe: { experts: 64, expertsPerToken: 8, expertFfn: 1024, sharedExpertFfn: 0, expertBias: false, normTopK: false },
};
const MODEL: RandomModel = {
  family: "llada-moe",
  shape: SHAPE,
  ids: { eos: 156892, mask: 156895 },
  name: "random LLaDA-MoE-7B-A1B",
};

if (process.argv[2] === "--child") {
  process.stdout.write(JSON.stringify(await measureForwards(process.argv[3] as string, THREADS, CANVAS)));
} else {
  const scratch = mkdtempSync(join(process.env.ANNEAL_BENCH_DIR ?? tmpdir(), "anneal-moe-"));
  const rows = [];
  try {
    const file = join(scratch, "llada-moe-random-q4_k_m.gguf");
    const row = benchRandomModel(fileURLToPath(import.meta.url), file, MODEL, "q4_k_m");
    console.log(
      `q4_k_m: ${row.weights} ${row.fileGiB} GiB file, ${(row.parameters / 1e9).toFixed(2)}B parameters, loaded in ${row.loadSeconds} s, rss ${row.rssGiB} GiB; forward over the ${CANVAS}-token canvas ${row.canvasForwardSeconds} s, over a 32-token block ${row.blockForwardSeconds} s (${row.kernels} kernels, ${row.int8} int8, ${THREADS} threads)`,
    );
    rows.push(row);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  writeResults("llada-moe", {
    measured: new Date().toISOString(),
    shape: SHAPE,
    threads: THREADS,
    canvas: CANVAS,
    rows,
  });
}
