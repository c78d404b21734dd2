// A LLaDA-8B-shaped model on this CPU (`pnpm bench`): random weights written as GGUF files in Q4_K_M
// and Q8_0 (8.0B parameters: d 4096, 32 layers, MLP 12288, vocab 126464), each measured in its own
// process (support/random-gguf-model.ts says what). Writes bench/results/llada-8b.json. Needs ~14 GB
// of disk in the temp folder (ANNEAL_BENCH_DIR) and ~10 GB of memory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LLADA_8B } from "./support/llada-8b-shape";
import { benchRandomModel, measureForwards } from "./support/random-gguf-model";
import { writeResults } from "./support/write-results";

const THREADS = 2;
const CANVAS = 288;
const MODEL = LLADA_8B;

if (process.argv[2] === "--child") {
  process.stdout.write(JSON.stringify(await measureForwards(process.argv[3] as string, THREADS, CANVAS)));
} else {
  const scratch = mkdtempSync(join(process.env.ANNEAL_BENCH_DIR ?? tmpdir(), "anneal-8b-"));
  const rows = [];
  try {
    for (const type of ["q4_k_m", "q8_0"] as const) {
      const file = join(scratch, `llada-8b-random-${type}.gguf`);
      const row = benchRandomModel(fileURLToPath(import.meta.url), file, MODEL, type);
      console.log(
        `${type}: ${row.weights} ${row.fileGiB} GiB file, loaded in ${row.loadSeconds} s, rss ${row.rssGiB} GiB; forward over the ${CANVAS}-token canvas ${row.canvasForwardSeconds} s, over a 32-token block ${row.blockForwardSeconds} s (${row.kernels} kernels, ${row.int8} int8, ${THREADS} threads)`,
      );
      rows.push(row);
      rmSync(file);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  writeResults("llada-8b", {
    measured: new Date().toISOString(),
    shape: MODEL.shape,
    threads: THREADS,
    canvas: CANVAS,
    rows,
  });
}
