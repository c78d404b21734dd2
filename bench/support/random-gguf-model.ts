// Real-size models with random weights for the benches: written as GGUF files in llama.cpp's layouts
// (Q4_K_M or Q8_0; a mixture's experts stacked per layer), and measured each in its own process —
// load time, resident memory, one forward over the whole canvas and over a 32-token block of it (rows
// attending over the cached canvas, as the dual cache decodes). Weights are random: this measures
// speed and memory, not text. Rows are quantized once per (length, type) and repeated: rows are
// independent, so the speed is the same.
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { readArchitecture } from "../../packages/backend/src/checkpoint/architecture";
import { byteLevelTokenizerJson } from "../../packages/backend/src/checkpoint/byte-level-bpe";
import { ggufArchitectureEntries, ggufTensorSources } from "../../packages/backend/src/checkpoint/gguf-architecture";
import { ggufTensors, type KeyedTensor, tensorType } from "../../packages/backend/src/checkpoint/gguf-export";
import { tokenizerToGguf } from "../../packages/backend/src/checkpoint/gguf-tokenizer";
import { writeGguf } from "../../packages/backend/src/checkpoint/gguf-writer";
import { encodeFloats } from "../../packages/backend/src/checkpoint/safetensors-writer";
import { loadCheckpoint } from "../../packages/backend/src/index";
import { engineWeights, FAMILY_SPECS, type Family } from "../../packages/backend/src/model-spec";
import { type ModelShape, native, type TensorDType } from "../../packages/backend/src/native";
import { BYTE_TO_CHAR } from "../../packages/backend/src/train/byte-level";

export type RandomModelType = "q4_k_m" | "q8_0" | "bf16";

export interface RandomModel {
  family: Family;
  shape: ModelShape;
  ids: { eos: number; mask: number };
  name: string;
}

/** llama.cpp's general.file_type for each: MOSTLY_Q8_0, MOSTLY_Q4_K_M, MOSTLY_BF16. */
const FILE_TYPE: Record<RandomModelType, number> = { q8_0: 7, q4_k_m: 15, bf16: 32 };

/** Writes `model` with random weights as `type` into `file`. */
export function writeRandomGguf(file: string, model: RandomModel, type: RandomModelType): void {
  const { shape, ids } = model;
  const architecture = readArchitecture(FAMILY_SPECS[model.family].writeConfig(shape, ids, 4096), file);
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
    if (!blocks.has(key)) {
      const rows = random(1024 * columns);
      blocks.set(
        key,
        dtype === "BF16" || dtype === "F16"
          ? encodeFloats(rows, dtype)
          : native().kernels.quantize(rows, dtype as "Q8_0"),
      );
    }
    return blocks.get(key) as Uint8Array;
  };
  const sources = ggufTensorSources(model.family, shape);
  const weights: KeyedTensor[] = [...engineWeights(shape)].map(([key, dims]) => {
    const dtype = tensorType(key, dims, type, shape.layers, sources.get(key)?.rows !== undefined);
    const bytes = (as: TensorDType = dtype) => {
      if (as === "F32") {
        return new Uint8Array(
          Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => random(1)[0] as number).buffer,
        );
      }
      const pattern = rowsOf(dims[1] as number, as);
      const out = new Uint8Array((dims[0] as number) * (pattern.length / 1024));
      for (let at = 0; at < out.length; at += pattern.length)
        out.set(pattern.subarray(0, Math.min(pattern.length, out.length - at)), at);
      return out;
    };
    return { key, shape: dims, dtype, bytes };
  });
  const vocab = Object.fromEntries(BYTE_TO_CHAR.map((char, id) => [char, id]));
  const tokenizer = byteLevelTokenizerJson(
    vocab,
    [],
    [
      { id: ids.eos, content: "<|eot_id|>" },
      { id: ids.mask, content: "<|mdm_mask|>" },
    ],
  );
  writeGguf(
    file,
    [...ggufArchitectureEntries(architecture, model.name, FILE_TYPE[type]), ...tokenizerToGguf(tokenizer, ids)],
    ggufTensors(weights, sources),
  );
}

export interface ForwardMeasurement {
  weights: string | undefined;
  int8: string | undefined;
  kernels: string;
  parameters: number;
  weightGiB: number;
  loadSeconds: number;
  rssGiB: number;
  canvasForwardSeconds: number;
  blockForwardSeconds: number;
}

/**
 * In this process: load `file`, then time one canvas forward and the best of three block forwards.
 * With `blockSize` (block-diffusion models), attention is block-causal: the canvas forward is a
 * prefill, and the block's rows (32 to 64) attend up to their block's end.
 */
export async function measureForwards(
  file: string,
  threads: number,
  canvas: number,
  blockSize = 0,
): Promise<ForwardMeasurement> {
  const started = performance.now();
  const before = process.memoryUsage().rss;
  const { model } = await loadCheckpoint(file, { threads });
  const loadSeconds = (performance.now() - started) / 1000;
  const tokens = Int32Array.from({ length: canvas }, (_, i) => (i * 37) % 256);
  const cache = model.createCache(canvas);
  const statRows = Int32Array.from({ length: 32 }, (_, i) => 32 + i);
  let t = performance.now();
  await model.forward([{ tokens, statRows, cache, blockSize }]);
  const canvasForwardSeconds = (performance.now() - t) / 1000;
  const rssGiB = (process.memoryUsage().rss - before) / 2 ** 30;
  const blockSeconds: number[] = [];
  for (let i = 0; i < 3; i++) {
    t = performance.now();
    const attendLength = blockSize > 0 ? 64 : canvas;
    await model.forward([{ tokens, statRows, rowBegin: 32, rowEnd: 64, attendLength, cache, blockSize }]);
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
    canvasForwardSeconds,
    blockForwardSeconds: Math.min(...blockSeconds),
  };
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** Writes and measures `model` as `type` (the measuring in a child running `script --child FILE`). */
export function benchRandomModel(script: string, file: string, model: RandomModel, type: RandomModelType) {
  let t = performance.now();
  writeRandomGguf(file, model, type);
  const writeSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const out = execFileSync(process.execPath, ["--import", "tsx", script, "--child", file], { encoding: "utf8" });
  const m = JSON.parse(out) as ForwardMeasurement;
  return {
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
}
