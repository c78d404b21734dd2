// Block diffusion's exact KV cache against bidirectional decoding with the dual cache, on the same
// weights in one run (`pnpm bench`): an SDAR-1.7B-shaped model (Qwen3-1.7B's dimensions: d 2048, 28
// layers, 16 heads of 128 over 8 KV heads, FFN 6144, vocab 151936) with random weights, as BF16 and
// Q4_K_M, 2 threads. The same 64-token answer after a 64-token prompt is decoded (a) in SDAR's blocks
// of 4 — each step forwards only the current block over the exact cache — and (b) as a LLaDA-style
// bidirectional model in 32-token blocks with the dual cache. Random weights are never confident, so
// both commit about one token per pass: the ratio is the cost of a pass and the number of passes.
// (The file is written in LLaDA's GGUF layout, which has no q/k norms; their cost is negligible.)
// Writes bench/results/block-diffusion.json. Needs ~4 GB of disk in the temp folder and ~5 GB of memory.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type GenerateOptions, generate, loadCheckpoint } from "../packages/backend/src/index";
import type { ModelShape } from "../packages/backend/src/native";
import { type RandomModel, type RandomModelType, writeRandomGguf } from "./support/random-gguf-model";
import { writeResults } from "./support/write-results";

const THREADS = 2;
const PROMPT = 64;
const ANSWER = 64;
const SHAPE: ModelShape = {
  vocab: 151936,
  dim: 2048,
  layers: 28,
  heads: 16,
  kvHeads: 8,
  headDim: 128,
  ffn: 6144,
  eps: 1e-6,
  ropeTheta: 1000000,
  qkvBias: false,
  tiedEmbeddings: false,
};
const MODEL: RandomModel = {
  family: "llada",
  shape: SHAPE,
  ids: { eos: 151643, mask: 151669 },
  name: "random SDAR-1.7B",
};

interface Decoding {
  tokensPerSecond: number;
  forwardPasses: number;
  tokensPerForward: number;
  seconds: number;
}

async function decode(file: string, blockSize: number, options: GenerateOptions): Promise<Decoding> {
  const checkpoint = await loadCheckpoint(file, { threads: THREADS });
  const target = { model: checkpoint.model, architecture: { ...checkpoint.architecture, blockSize } };
  const prompt = Array.from({ length: PROMPT }, (_, i) => (i * 37) % 256);
  const started = performance.now();
  const iterator = generate(target, prompt, {
    ...options,
    maxTokens: ANSWER,
    temperature: 0,
    earlyStop: false,
    stopIds: [],
  });
  let next = await iterator.next();
  while (!next.done) next = await iterator.next();
  const seconds = (performance.now() - started) / 1000;
  return {
    tokensPerSecond: Number((ANSWER / seconds).toFixed(2)),
    forwardPasses: next.value.forwardPasses,
    tokensPerForward: Number(next.value.tokensPerForward.toFixed(3)),
    seconds: Number(seconds.toFixed(2)),
  };
}

const scratch = mkdtempSync(join(process.env.ANNEAL_BENCH_DIR ?? tmpdir(), "anneal-block-"));
const rows = [];
try {
  for (const type of ["bf16", "q4_k_m"] as RandomModelType[]) {
    const file = join(scratch, `sdar-1.7b-random-${type}.gguf`);
    writeRandomGguf(file, MODEL, type);
    const exact = await decode(file, 4, { sampler: "threshold_quota", threshold: 0.9, steps: ANSWER });
    const dual = await decode(file, 0, { sampler: "threshold", threshold: 0.9, blockLength: 32, cache: "dual" });
    const row = {
      type,
      fileGiB: Number((statSync(file).size / 2 ** 30).toFixed(2)),
      blockCausalExactCache: exact,
      bidirectionalDualCache: dual,
      speedup: Number((exact.tokensPerSecond / dual.tokensPerSecond).toFixed(2)),
    };
    console.log(
      `${type}: exact block cache ${exact.tokensPerSecond} tok/s (${exact.forwardPasses} passes), bidirectional dual cache ${dual.tokensPerSecond} tok/s (${dual.forwardPasses} passes): ×${row.speedup}`,
    );
    rows.push(row);
    rmSync(file, { force: true });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
writeResults("block-diffusion", {
  measured: new Date().toISOString(),
  shape: SHAPE,
  threads: THREADS,
  prompt: PROMPT,
  answer: ANSWER,
  rows,
});
