// A LLaDA-8B-shaped model on this CPU (`pnpm bench`): random weights written as GGUF files in Q4_K_M
// and Q8_0 (the layouts llama.cpp's quantizer writes; 8.0B parameters: d 4096, 32 layers, MLP 12288,
// vocab 126464), each loaded in its own process: load time, resident memory, and the time of one
// forward pass over a 32-token block (rows attending over a 288-token cached canvas, as the dual cache
// decodes) and over the whole canvas. Weights are random: this measures speed and memory, not text.
// Rows are quantized once per shape and repeated (rows are independent, so speed is the same).
// Writes bench/results/llada-8b.json. Needs ~14 GB of disk in the temp folder and ~10 GB of memory.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readArchitecture } from "../packages/backend/src/checkpoint/architecture";
import { byteLevelTokenizerJson } from "../packages/backend/src/checkpoint/byte-level-bpe";
import { ggufArchitectureEntries, ggufTensorName } from "../packages/backend/src/checkpoint/gguf-architecture";
import { tensorType } from "../packages/backend/src/checkpoint/gguf-export";
import { tokenizerToGguf } from "../packages/backend/src/checkpoint/gguf-tokenizer";
import { writeGguf } from "../packages/backend/src/checkpoint/gguf-writer";
import { loadCheckpoint } from "../packages/backend/src/index";
import { engineWeights, FAMILY_SPECS } from "../packages/backend/src/model-spec";
import { type ModelShape, native, type TensorDType } from "../packages/backend/src/native";
import { BYTE_TO_CHAR } from "../packages/backend/src/train/byte-level";

const THREADS = 2;
const CANVAS = 288;
const SHAPE: ModelShape = {
  vocab: 126464,
  dim: 4096,
  layers: 32,
  heads: 32,
  kvHeads: 32,
  headDim: 128,
  ffn: 12288,
  eps: 1e-5,
  ropeTheta: 500000,
  qkvBias: false,
  tiedEmbeddings: false,
};
const IDS = { eos: 126081, mask: 126336 }; // LLaDA-8B's

/** Writes the random model as `type` ("q4_k_m" or "q8_0") into `file`. */
function writeModel(file: string, type: "q4_k_m" | "q8_0"): void {
  const architecture = readArchitecture(FAMILY_SPECS.llada.writeConfig(SHAPE, IDS, 4096), file);
  let seed = 1;
  const random = (n: number) => {
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      values[i] = (seed / 2 ** 32 - 0.5) * 0.04;
    }
    return values;
  };
  // One block of 1024 quantized rows per (row length, dtype), repeated down each matrix.
  const blocks = new Map<string, Uint8Array>();
  const rowsOf = (columns: number, dtype: TensorDType) => {
    const key = `${columns} ${dtype}`;
    if (!blocks.has(key)) blocks.set(key, native().kernels.quantize(random(1024 * columns), dtype as "Q8_0"));
    return blocks.get(key) as Uint8Array;
  };
  const tensors = [...engineWeights(SHAPE)].map(([key, shape]) => {
    const dtype = tensorType(key, shape, type, SHAPE.layers);
    return {
      name: ggufTensorName(key),
      shape,
      dtype,
      bytes: () => {
        if (dtype === "F32") return new Uint8Array(Float32Array.from({ length: shape[0] as number }, () => 1).buffer);
        const pattern = rowsOf(shape[1] as number, dtype);
        const rowBytes = pattern.length / 1024;
        const out = new Uint8Array((shape[0] as number) * rowBytes);
        for (let at = 0; at < out.length; at += pattern.length)
          out.set(pattern.subarray(0, Math.min(pattern.length, out.length - at)), at);
        return out;
      },
    };
  });
  const vocab = Object.fromEntries(BYTE_TO_CHAR.map((char, id) => [char, id]));
  const tokenizer = byteLevelTokenizerJson(
    vocab,
    [],
    [
      { id: IDS.eos, content: "<|eot_id|>" },
      { id: IDS.mask, content: "<|mdm_mask|>" },
    ],
  );
  writeGguf(
    file,
    [
      ...ggufArchitectureEntries(architecture, "random LLaDA-8B", type === "q8_0" ? 7 : 15),
      ...tokenizerToGguf(tokenizer, IDS),
    ],
    tensors,
  );
}

/** In a child process: load, then time forward passes. */
async function measure(file: string) {
  const started = performance.now();
  const before = process.memoryUsage().rss;
  const { model } = await loadCheckpoint(file, { threads: THREADS });
  const loadSeconds = (performance.now() - started) / 1000;
  const tokens = Int32Array.from({ length: CANVAS }, (_, i) => (i * 37) % 256);
  const cache = model.createCache(CANVAS);
  const statRows = Int32Array.from({ length: 32 }, (_, i) => 32 + i);
  let t = performance.now();
  await model.forward([{ tokens, statRows, cache }]);
  const canvasSeconds = (performance.now() - t) / 1000;
  const rssGiB = (process.memoryUsage().rss - before) / 2 ** 30;
  const blockSeconds: number[] = [];
  for (let i = 0; i < 3; i++) {
    t = performance.now();
    await model.forward([{ tokens, statRows, rowBegin: 32, rowEnd: 64, attendLength: CANVAS, cache }]);
    blockSeconds.push((performance.now() - t) / 1000);
  }
  const info = model.info();
  return {
    weights: info.weights,
    int8: info.int8,
    kernels: info.kernels,
    parameters: info.parameters,
    weightGiB: (info.weightBytes ?? 0) / 2 ** 30,
    loadSeconds,
    rssGiB,
    canvasForwardSeconds: canvasSeconds,
    blockForwardSeconds: Math.min(...blockSeconds),
  };
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

if (process.argv[2] === "--child") {
  process.stdout.write(JSON.stringify(await measure(process.argv[3] as string)));
} else {
  const scratch = mkdtempSync(join(process.env.ANNEAL_BENCH_DIR ?? tmpdir(), "anneal-8b-"));
  const rows = [];
  try {
    for (const type of ["q4_k_m", "q8_0"] as const) {
      const file = join(scratch, `llada-8b-random-${type}.gguf`);
      let t = performance.now();
      writeModel(file, type);
      const writeSeconds = (performance.now() - t) / 1000;
      t = performance.now();
      const out = execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", file], {
        encoding: "utf8",
      });
      const m = JSON.parse(out) as Awaited<ReturnType<typeof measure>>;
      const row = {
        type,
        fileGiB: round(statSync(file).size / 2 ** 30),
        writeSeconds: round(writeSeconds, 1),
        ...m,
        weightGiB: round(m.weightGiB),
        rssGiB: round(m.rssGiB),
        loadSeconds: round(m.loadSeconds),
        canvasForwardSeconds: round(m.canvasForwardSeconds),
        blockForwardSeconds: round(m.blockForwardSeconds),
        blockTokensPerSecondAtOneTokenPerForward: round(1 / m.blockForwardSeconds, 3),
      };
      console.log(
        `${type}: ${row.weights} ${row.fileGiB} GiB file, loaded in ${row.loadSeconds} s, rss ${row.rssGiB} GiB; forward over the ${CANVAS}-token canvas ${row.canvasForwardSeconds} s, over a 32-token block ${row.blockForwardSeconds} s (${row.kernels} kernels, ${row.int8} int8, ${THREADS} threads)`,
      );
      rows.push(row);
      rmSync(file);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(
    new URL("./results/llada-8b.json", import.meta.url),
    `${JSON.stringify({ measured: new Date().toISOString(), shape: SHAPE, threads: THREADS, canvas: CANVAS, rows }, null, 2)}\n`,
  );
}
