// Reads and checks safetensors headers (single files and sharded indexes) without reading the data.
// Format: 8-byte little-endian header length N, N bytes of JSON, then the tensor data.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { isAbsolute, join, normalize, sep } from "node:path";
import { CheckpointError } from "../errors";

export type DType = "F32" | "F16" | "BF16";
const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
const LOADABLE = new Set(["F32", "F16", "BF16"]);
/** Headers beyond this are not weights files (the format's own limit is 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  name: string;
  file: string;
  dtype: string;
  shape: number[];
  /** Absolute byte offset of the data in the file. */
  offset: number;
  bytes: number;
}

/** Every tensor of one .safetensors file, checked against the file's size and its own shapes. */
export function readSafetensorsHeader(file: string): TensorInfo[] {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new CheckpointError(file, "file not found");
  }
  if (size < 8) throw new CheckpointError(file, `too short to be safetensors (${size} bytes)`);
  const fd = openSync(file, "r");
  let header: Buffer;
  try {
    const prefix = Buffer.alloc(8);
    readSync(fd, prefix, 0, 8, 0);
    const length = Number(prefix.readBigUInt64LE(0));
    if (length > MAX_HEADER_BYTES || 8 + length > size) {
      throw new CheckpointError(
        file,
        `header length ${length} does not fit in a ${size}-byte file (truncated or not safetensors)`,
      );
    }
    header = Buffer.alloc(length);
    readSync(fd, header, 0, length, 8);
  } finally {
    closeSync(fd);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(header.toString("utf8"));
  } catch {
    throw new CheckpointError(file, "the header is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CheckpointError(file, "the header is not a JSON object");
  }
  const dataStart = 8 + header.length;
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    tensors.push(checkEntry(file, name, entry, dataStart, size));
  }
  return tensors;
}

function checkEntry(file: string, name: string, entry: unknown, dataStart: number, size: number): TensorInfo {
  const bad = (problem: string) => new CheckpointError(file, `tensor ${name}: ${problem}`);
  if (typeof entry !== "object" || entry === null) throw bad("entry is not an object");
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) throw bad(`unknown dtype ${String(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
    throw bad("shape is not a list of sizes");
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
    throw bad("data_offsets is not [begin, end]");
  }
  const [begin, end] = offsets as [number, number];
  const elements = (shape as number[]).reduce((product, d) => product * d, 1);
  const bytes = elements * (DTYPE_BYTES[dtype] as number);
  if (end - begin !== bytes) {
    throw bad(`the header says ${end - begin} bytes but ${dtype}${JSON.stringify(shape)} needs ${bytes}`);
  }
  if (dataStart + end > size) throw bad(`data ends at byte ${dataStart + end} but the file has ${size} (truncated)`);
  return { name, file, dtype, shape: shape as number[], offset: dataStart + begin, bytes };
}

/** All tensors of a checkpoint folder: `model.safetensors`, or the shards its index names. */
export function readCheckpointTensors(dir: string): Map<string, TensorInfo> {
  const indexFile = join(dir, "model.safetensors.index.json");
  const single = join(dir, "model.safetensors");
  const files: string[] = [];
  let weightMap: Record<string, string> | undefined;
  if (existsSync(indexFile)) {
    weightMap = readIndex(indexFile);
    files.push(...new Set(Object.values(weightMap).map((shard) => join(dir, shard))));
  } else if (existsSync(single)) {
    files.push(single);
  } else {
    throw new CheckpointError(dir, "no model.safetensors or model.safetensors.index.json");
  }
  const tensors = new Map<string, TensorInfo>();
  for (const file of files) {
    for (const tensor of readSafetensorsHeader(file)) tensors.set(tensor.name, tensor);
  }
  for (const [name, shard] of Object.entries(weightMap ?? {})) {
    if (tensors.get(name)?.file !== join(dir, shard)) {
      throw new CheckpointError(indexFile, `tensor ${name} is not in ${shard}, where the index says it is`);
    }
  }
  return tensors;
}

function readIndex(indexFile: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(indexFile, "utf8"));
  } catch {
    throw new CheckpointError(indexFile, "not valid JSON");
  }
  const map = (parsed as { weight_map?: unknown })?.weight_map;
  if (typeof map !== "object" || map === null || !Object.values(map).every((v) => typeof v === "string")) {
    throw new CheckpointError(indexFile, "has no weight_map of tensor names to shard files");
  }
  // A shard is a file of this checkpoint: a path that leaves the folder (absolute, or through ..) is
  // refused before anything is opened. (Symlinks inside the folder are fine: the Hub cache uses them.)
  for (const shard of new Set(Object.values(map as Record<string, string>))) {
    const inside = normalize(shard);
    if (isAbsolute(shard) || inside === ".." || inside.startsWith(`..${sep}`) || shard.includes("\0")) {
      throw new CheckpointError(indexFile, `shard path ${JSON.stringify(shard)} leaves the checkpoint folder`);
    }
  }
  return map as Record<string, string>;
}

/** Bytes per element of a safetensors dtype. */
export function dtypeBytes(dtype: string): number {
  return DTYPE_BYTES[dtype] ?? 4;
}

export function isLoadable(dtype: string): dtype is DType {
  return LOADABLE.has(dtype);
}

/** Bytes per element of a safetensors dtype. */
export function elementBytes(dtype: DType): number {
  return DTYPE_BYTES[dtype] as number;
}

/** A tensor's values as float32, read from its file (F32, F16 or BF16). */
export function readTensorValues(tensor: TensorInfo): Float32Array {
  if (!isLoadable(tensor.dtype)) throw new CheckpointError(tensor.file, `tensor ${tensor.name} is ${tensor.dtype}`);
  const bytes = Buffer.alloc(tensor.bytes);
  const fd = openSync(tensor.file, "r");
  try {
    if (readSync(fd, bytes, 0, tensor.bytes, tensor.offset) !== tensor.bytes) {
      throw new CheckpointError(tensor.file, `tensor ${tensor.name} is cut short`);
    }
  } finally {
    closeSync(fd);
  }
  const count = tensor.bytes / (DTYPE_BYTES[tensor.dtype] as number);
  const values = new Float32Array(count);
  if (tensor.dtype === "F32") {
    for (let i = 0; i < count; i++) values[i] = bytes.readFloatLE(i * 4);
  } else if (tensor.dtype === "BF16") {
    const wide = new Uint32Array(values.buffer);
    for (let i = 0; i < count; i++) wide[i] = bytes.readUInt16LE(i * 2) << 16;
  } else {
    for (let i = 0; i < count; i++) values[i] = fromF16(bytes.readUInt16LE(i * 2));
  }
  return values;
}

/** IEEE half bits -> number (subnormals, infinities and NaN included). */
export function fromF16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
