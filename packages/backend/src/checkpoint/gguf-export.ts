// Writes a checkpoint folder as one GGUF file, in the layout llama.cpp's converter and quantizer
// write (tensor names, LLaDA's q/k rows in interleaved RoPE order, tokenizer and chat template in
// the metadata), so llama.cpp's tools and our own loader read it. Tensors are converted one at a
// time, so memory holds one tensor's values, not the model's.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { basename } from "node:path";
import { CheckpointError } from "../errors";
import { FAMILY_SPECS } from "../model-spec";
import { native, type TensorDType } from "../native";
import type { TensorSource } from "./architecture";
import { bytesPerElement } from "./gguf";
import { ggufArchitectureEntries, ggufTensorSources, interleavesRope } from "./gguf-architecture";
import { readGgufCheckpoint } from "./gguf-checkpoint";
import { tokenizerToGguf } from "./gguf-tokenizer";
import { type GgufEntry, type GgufTensorToWrite, writeGguf } from "./gguf-writer";
import { type CheckpointParts, readCheckpointFolder } from "./load";
import { readCheckpointTensors, readTensorValues } from "./safetensors";
import { encodeFloats } from "./safetensors-writer";

/** What the matrices become: one type, or llama.cpp's Q4_K_M mix; "auto" keeps the checkpoint's dtype. */
export const GGUF_EXPORT_TYPES = [
  "auto",
  "f32",
  "f16",
  "bf16",
  "q8_0",
  "q4_0",
  "q4_k",
  "q5_k",
  "q6_k",
  "q4_k_m",
] as const;
export type GgufExportType = (typeof GGUF_EXPORT_TYPES)[number];

/** llama.cpp's general.file_type for each mix (LLAMA_FTYPE_*). */
const FILE_TYPES: Record<Exclude<GgufExportType, "auto">, number> = {
  f32: 0,
  f16: 1,
  q4_0: 2,
  q8_0: 7,
  q4_k: 14, // Q4_K_S: every matrix Q4_K
  q4_k_m: 15,
  q5_k: 16, // Q5_K_S: every matrix Q5_K
  q6_k: 18,
  bf16: 32,
};

export interface GgufExportSummary {
  file: string;
  bytes: number;
  type: Exclude<GgufExportType, "auto">;
  /** How many GGUF tensors were written in each dtype (a layer's stacked experts are one). */
  tensorTypes: Record<string, number>;
}

/** One weight of the model being written, as its source holds it. */
interface SourceTensor {
  shape: number[];
  dtype: TensorDType;
  /** Its values as float32 (dequantized when the source is quantized). */
  values: () => Float32Array;
  /** q/k rows already in llama.cpp's interleaved RoPE order (a GGUF source's LLaDA q and k). */
  ropeInterleaved: boolean;
}

/**
 * Writes a checkpoint — a folder, or a GGUF file to requantize, as llama-quantize does — as the GGUF
 * file `out` (through a temporary file). A GGUF source needs a type: it is already in one.
 */
export function exportGguf(input: string, out: string, requested: GgufExportType = "auto"): GgufExportSummary {
  const fromGguf = input.endsWith(".gguf");
  if (fromGguf && requested === "auto") {
    throw new CheckpointError(
      input,
      "is already a GGUF file; name the type to requantize it to (--type q4_k_m, q8_0…)",
    );
  }
  const parts = fromGguf ? readGgufCheckpoint(input, () => {}) : readCheckpointFolder(input);
  const { architecture } = parts;
  if (!FAMILY_SPECS[architecture.family].gguf) {
    throw new CheckpointError(
      input,
      `llama.cpp's converter defines no GGUF layout for ${architecture.family}: keep its safetensors folder`,
    );
  }
  const { shape } = architecture;
  const source = fromGguf ? ggufSourceTensors(parts) : folderSourceTensors(input, parts);
  const type = requested === "auto" ? autoType(source.get("embed")?.dtype) : requested;
  const tensorTypes: Record<string, number> = {};
  const perKey: KeyedTensor[] = [];
  const sources = ggufTensorSources(architecture.family, shape);
  for (const key of architecture.tensorNames.keys()) {
    const tensor = source.get(key) as SourceTensor; // every reader checked every weight is there
    const dtype = tensorType(key, tensor.shape, type, shape.layers, sources.get(key)?.rows !== undefined);
    const leaf = key.split(".").at(-1) as string;
    const rope = interleavesRope(architecture.family) && ["q", "k", "q_bias", "k_bias"].includes(leaf);
    const interleave = rope && !tensor.ropeInterleaved;
    const bytes = (as: TensorDType = dtype) => {
      const values = tensor.values();
      return encode(interleave ? interleaveRopeRows(values, tensor.shape, shape.headDim) : values, as);
    };
    perKey.push({ key, shape: tensor.shape, dtype, bytes });
  }
  const tensors = ggufTensors(perKey, sources);
  for (const { dtype } of tensors) tensorTypes[dtype] = (tensorTypes[dtype] ?? 0) + 1;
  const metadata: GgufEntry[] = [
    ...ggufArchitectureEntries(architecture, basename(input, ".gguf"), FILE_TYPES[type]),
    ...tokenizerToGguf(parts.tokenizerJson, {
      eos: architecture.stopIds[0],
      mask: architecture.maskId,
      ...(architecture.padId === undefined ? {} : { pad: architecture.padId }),
    }),
    ...(parts.templateSource
      ? [{ key: "tokenizer.chat_template", type: "string", value: parts.templateSource } as const]
      : []),
  ];
  writeGguf(out, metadata, tensors);
  return { file: out, bytes: statSync(out).size, type, tensorTypes };
}

/** A folder's weights, from its safetensors files. */
function folderSourceTensors(dir: string, parts: CheckpointParts): Map<string, SourceTensor> {
  const available = readCheckpointTensors(dir);
  const tensors = new Map<string, SourceTensor>();
  for (const [key, { name, rows }] of parts.architecture.tensorNames) {
    const info = available.get(name);
    if (!info) throw new CheckpointError(dir, `missing tensor ${name}`);
    const [, ...rest] = info.shape as [number, ...number[]];
    const width = rest.reduce((a, b) => a * b, 1);
    tensors.set(key, {
      // a fused tensor's (LLaDA2's query_key_value) rows of this weight
      shape: rows ? [rows.end - rows.begin, ...rest] : info.shape,
      dtype: info.dtype as TensorDType,
      values: () =>
        rows ? readTensorValues(info).slice(rows.begin * width, rows.end * width) : readTensorValues(info),
      ropeInterleaved: false,
    });
  }
  return tensors;
}

/** A GGUF file's weights where they lie in it, dequantized when read. */
function ggufSourceTensors(parts: CheckpointParts): Map<string, SourceTensor> {
  const file = parts.weights.files[0] as string;
  const tensors = new Map<string, SourceTensor>();
  for (const [key, tensor] of Object.entries(parts.weights.tensors)) {
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    const byteCount = count * bytesPerElement(tensor.dtype);
    const values = () => {
      const { dtype } = tensor;
      if (dtype === "F32" || dtype === "F16" || dtype === "BF16") {
        return readTensorValues({ ...tensor, file, bytes: byteCount, dtype });
      }
      const bytes = Buffer.alloc(byteCount);
      const fd = openSync(file, "r");
      try {
        if (readSync(fd, bytes, 0, byteCount, tensor.offset) !== byteCount) {
          throw new CheckpointError(file, `tensor ${tensor.name} is cut short`);
        }
      } finally {
        closeSync(fd);
      }
      return native().kernels.dequantize(bytes, dtype, count);
    };
    tensors.set(key, {
      shape: tensor.shape,
      dtype: tensor.dtype,
      values,
      ropeInterleaved: tensor.interleavedHeadDim !== undefined,
    });
  }
  return tensors;
}

function autoType(dtype: string | undefined): Exclude<GgufExportType, "auto"> {
  return dtype === "BF16" ? "bf16" : dtype === "F16" ? "f16" : "f32";
}

/**
 * The dtype one tensor is written in. Vectors (norms, biases) stay F32, as llama.cpp keeps them.
 * Q4_K_M follows llama.cpp's recipe (llama-quant.cpp): Q6_K for the LM head, and for attn_v and
 * ffn_down in the first and last eighths of the layers and every third one between; Q5_K for a fused
 * attn_qkv (`fusedQkv`: the key is q, k or v of one); Q4_K elsewhere. Rows that are not whole blocks
 * fall back to Q8_0 (whole blocks of 32) or F16.
 */
export function tensorType(
  key: string,
  tensorShape: number[],
  type: Exclude<GgufExportType, "auto">,
  layers: number,
  fusedQkv = false,
): TensorDType {
  const leaf = key.split(".").at(-1) as string;
  // Vectors, and the experts' router (llama.cpp's quantizer leaves ffn_gate_inp as it is).
  if (tensorShape.length !== 2 || leaf === "router") return "F32";
  let dtype: TensorDType;
  if (type === "q4_k_m" && fusedQkv) {
    dtype = "Q5_K";
  } else if (type === "q4_k_m") {
    const layer = Number(key.split(".")[1]);
    const moreBits = (i: number) => i < layers / 8 || i >= (7 * layers) / 8 || (i - Math.floor(layers / 8)) % 3 === 2;
    const sensitive = key === "head" || ((leaf === "v" || leaf === "down") && moreBits(layer));
    dtype = sensitive ? "Q6_K" : "Q4_K";
  } else {
    dtype = type.toUpperCase() as TensorDType;
  }
  const columns = tensorShape[1] as number;
  if ((dtype === "Q4_K" || dtype === "Q5_K" || dtype === "Q6_K") && columns % 256 !== 0) dtype = "Q8_0";
  if ((dtype === "Q8_0" || dtype === "Q4_0") && columns % 32 !== 0) dtype = "F16";
  return dtype;
}

/**
 * llama.cpp's converter order for LLaDA's q and k: within each head, rows (j · half + i) move to
 * (2i + j), so RoPE rotates adjacent pairs. The loader undoes it (weight_reader.h).
 */
export function interleaveRopeRows(values: Float32Array, tensorShape: number[], headDim: number): Float32Array {
  const rows = tensorShape[0] as number;
  const columns = values.length / rows;
  const half = headDim / 2;
  const out = new Float32Array(values.length);
  for (let head = 0; head < rows / headDim; head++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const from = (head * headDim + j * half + i) * columns;
        out.set(values.subarray(from, from + columns), (head * headDim + 2 * i + j) * columns);
      }
    }
  }
  return out;
}

/**
 * One engine weight to write: its key, shape, dtype and (lazily) its bytes, encoded as `dtype` or as
 * the type asked for (a fused tensor's parts share one type).
 */
export interface KeyedTensor {
  key: string;
  shape: number[];
  dtype: TensorDType;
  bytes: (as?: TensorDType) => Uint8Array;
}

/**
 * The GGUF tensors for engine weights, under their GGUF names (`sources`: ggufTensorSources); a
 * layer's experts go into one stacked [experts][rows][columns] tensor per matrix, and weights that
 * share a fused tensor (LLaDA2's attn_qkv) into its row ranges, as llama.cpp's converter writes them.
 * A fused tensor has one type: the first of its weights' that keeps the most bits.
 */
export function ggufTensors(weights: KeyedTensor[], sources: Map<string, TensorSource>): GgufTensorToWrite[] {
  const tensors: GgufTensorToWrite[] = [];
  const stacks = new Map<string, { shape: number[]; dtype: TensorDType; parts: KeyedTensor[] }>();
  for (const weight of weights) {
    const { key, shape, dtype, bytes } = weight;
    const { name, rows } = sources.get(key) as TensorSource;
    const expert = /\.experts\.\d+\./.test(key);
    if (!expert && !rows) {
      tensors.push({ name, shape, dtype, bytes });
      continue;
    }
    let stack = stacks.get(name);
    if (!stack) {
      const created = { shape: expert ? [0, ...shape] : [0, ...shape.slice(1)], dtype, parts: [] as KeyedTensor[] };
      stacks.set(name, created);
      tensors.push({
        name,
        get shape() {
          return created.shape;
        },
        get dtype() {
          return created.dtype;
        },
        bytes: () => Buffer.concat(created.parts.map((part) => part.bytes(created.dtype))),
      });
      stack = created;
    }
    stack.shape[0] = (stack.shape[0] as number) + (expert ? 1 : (shape[0] as number));
    if (BITS[dtype] > BITS[stack.dtype]) stack.dtype = dtype;
    stack.parts.push(weight);
  }
  return tensors;
}

/** Bits per weight of each type, to choose a fused tensor's. */
const BITS: Record<TensorDType, number> = {
  F32: 32,
  F16: 16,
  BF16: 16,
  Q8_0: 8.5,
  Q6_K: 6.5625,
  Q5_K: 5.5,
  Q4_K: 4.5,
  Q4_0: 4.5,
};

function encode(values: Float32Array, dtype: TensorDType): Uint8Array {
  return dtype === "F32" || dtype === "F16" || dtype === "BF16"
    ? encodeFloats(values, dtype)
    : native().kernels.quantize(values, dtype);
}
