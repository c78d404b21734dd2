// Reads a GGUF file's header (metadata and tensor index) without reading the tensor data, checking
// every length, count, type and offset against the file so that a truncated or lying file is
// refused with a CheckpointError naming it, never read out of bounds.
//
// Layout (little-endian): "GGUF", version u32 (2 or 3), tensor count u64, metadata count u64, the
// metadata (key string, value type u32, value), the tensor infos (name, dims, ggml type, offset),
// then the data, aligned to `general.alignment` (default 32); tensor offsets count from there.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { CheckpointError } from "../errors";
import type { TensorDType } from "../native";

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensor {
  name: string;
  /** PyTorch order (outermost first): GGUF's ne[] reversed. */
  shape: number[];
  /** ggml type id, and our name for it when the engine can load it. */
  type: number;
  dtype: TensorDType | undefined;
  /** Absolute byte offset in the file. */
  offset: number;
  bytes: number;
}

export interface GgufFile {
  file: string;
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: Map<string, GgufTensor>;
}

/** ggml type ids the engine loads: elements per block and bytes per block. */
export const GGML_TYPES: Record<number, { name: TensorDType; block: number; bytes: number }> = {
  0: { name: "F32", block: 1, bytes: 4 },
  1: { name: "F16", block: 1, bytes: 2 },
  2: { name: "Q4_0", block: 32, bytes: 18 },
  8: { name: "Q8_0", block: 32, bytes: 34 },
  12: { name: "Q4_K", block: 256, bytes: 144 },
  13: { name: "Q5_K", block: 256, bytes: 176 },
  14: { name: "Q6_K", block: 256, bytes: 210 },
  30: { name: "BF16", block: 1, bytes: 2 },
};
/** Names of the ggml types we do not load, for the error message. */
const OTHER_GGML_TYPES: Record<number, string> = {
  3: "Q4_1",
  6: "Q5_0",
  7: "Q5_1",
  9: "Q8_1",
  10: "Q2_K",
  11: "Q3_K",
  15: "Q8_K",
  16: "IQ2_XXS",
  17: "IQ2_XS",
  18: "IQ3_XXS",
  19: "IQ1_S",
  20: "IQ4_NL",
  21: "IQ3_S",
  22: "IQ2_S",
  23: "IQ4_XS",
  24: "I8",
  25: "I16",
  26: "I32",
  27: "I64",
  28: "F64",
  29: "IQ1_M",
};
export const GGML_TYPE_IDS = Object.fromEntries(
  Object.entries(GGML_TYPES).map(([id, t]) => [t.name, Number(id)]),
) as Record<TensorDType, number>;

/** Bytes per element of a tensor type (its blocks' bytes over their elements: Q4_K is 144 / 256). */
export function bytesPerElement(dtype: TensorDType): number {
  const type = GGML_TYPES[GGML_TYPE_IDS[dtype]] as { block: number; bytes: number };
  return type.bytes / type.block;
}

/** GGUF metadata value types. */
export const GGUF_VALUE = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const;

/** Bounds far above any real file, so that a lying count is refused before anything is sized by it. */
const LIMITS = { tensors: 1_000_000, metadata: 100_000, dims: 4, arrayLength: 50_000_000, stringBytes: 64 << 20 };

/** Reads the file through a window that grows on demand, so a many-gigabyte file costs only its header. */
class FileCursor {
  #buffer = Buffer.alloc(0);
  #start = 0; // file offset of #buffer[0]
  position = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly fail: (problem: string) => never,
  ) {}

  #ensure(bytes: number): void {
    if (bytes < 0 || this.position + bytes > this.size) {
      this.fail(`truncated: a value at byte ${this.position} runs past the end of the ${this.size}-byte file`);
    }
    const end = this.position + bytes;
    if (this.position >= this.#start && end <= this.#start + this.#buffer.length) return;
    const length = Math.min(this.size - this.position, Math.max(bytes, 1 << 20));
    this.#buffer = Buffer.alloc(length);
    readSync(this.fd, this.#buffer, 0, length, this.position);
    this.#start = this.position;
  }

  #take(bytes: number): number {
    this.#ensure(bytes);
    const at = this.position - this.#start;
    this.position += bytes;
    return at;
  }

  // Each read takes its bytes before it names the buffer: taking may replace the buffer.
  #read<T>(bytes: number, read: (buffer: Buffer, at: number) => T): T {
    const at = this.#take(bytes);
    return read(this.#buffer, at);
  }
  u8 = () => this.#read(1, (b, at) => b.readUInt8(at));
  i8 = () => this.#read(1, (b, at) => b.readInt8(at));
  u16 = () => this.#read(2, (b, at) => b.readUInt16LE(at));
  i16 = () => this.#read(2, (b, at) => b.readInt16LE(at));
  u32 = () => this.#read(4, (b, at) => b.readUInt32LE(at));
  i32 = () => this.#read(4, (b, at) => b.readInt32LE(at));
  f32 = () => this.#read(4, (b, at) => b.readFloatLE(at));
  f64 = () => this.#read(8, (b, at) => b.readDoubleLE(at));
  u64 = () => this.#read(8, (b, at) => b.readBigUInt64LE(at));
  i64 = () => this.#read(8, (b, at) => b.readBigInt64LE(at));

  /** A u64 that must be a safe integer no larger than `most`. */
  count(what: string, most: number): number {
    const value = this.u64();
    if (value > BigInt(most)) this.fail(`${what} is ${value}; at most ${most} is believable`);
    return Number(value);
  }

  string(): string {
    const length = this.count("a string length", Math.min(LIMITS.stringBytes, this.size));
    return this.#read(length, (b, at) => b.toString("utf8", at, at + length));
  }
}

export function readGguf(file: string): GgufFile {
  const fail = (problem: string): never => {
    throw new CheckpointError(file, problem);
  };
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return fail("file not found");
  }
  try {
    const cursor = new FileCursor(fd, fstatSync(fd).size, fail);
    if (cursor.size < 24) fail(`too short to be GGUF (${cursor.size} bytes)`);
    if (cursor.u32() !== 0x46554747) fail('not a GGUF file (it does not start with "GGUF")');
    const version = cursor.u32();
    if (version !== 2 && version !== 3) fail(`GGUF version ${version} is not supported (2 and 3 are)`);
    const tensorCount = cursor.count("the tensor count", LIMITS.tensors);
    const metadataCount = cursor.count("the metadata count", LIMITS.metadata);

    const metadata = new Map<string, GgufValue>();
    for (let i = 0; i < metadataCount; i++) {
      const key = cursor.string();
      metadata.set(key, readValue(cursor, cursor.u32(), key, fail));
    }

    const alignment = metadata.get("general.alignment") ?? 32;
    if (typeof alignment !== "number" || !Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) {
      fail(`general.alignment ${String(alignment)} is not a positive multiple of 8`);
    }
    const infos: { name: string; ne: number[]; type: number; offset: bigint }[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = cursor.string();
      const dims = cursor.u32();
      if (dims < 1 || dims > LIMITS.dims) fail(`tensor ${name} has ${dims} dimensions (1 to ${LIMITS.dims})`);
      const ne = Array.from({ length: dims }, () => cursor.count(`a dimension of tensor ${name}`, 2 ** 40));
      infos.push({ name, ne, type: cursor.u32(), offset: cursor.u64() });
    }
    const dataStart = Math.ceil(cursor.position / (alignment as number)) * (alignment as number);

    const tensors = new Map<string, GgufTensor>();
    for (const { name, ne, type, offset } of infos) {
      if (tensors.has(name)) fail(`tensor ${name} appears twice`);
      const known = GGML_TYPES[type];
      const elements = ne.reduce((product, d) => product * d, 1);
      if (ne.some((d) => d === 0)) fail(`tensor ${name} has an empty dimension`);
      if (!Number.isSafeInteger(elements)) fail(`tensor ${name} has ${elements} elements; not believable`);
      let bytes = 0;
      if (known) {
        if ((ne[0] as number) % known.block !== 0) {
          fail(`tensor ${name} is ${known.name} but its rows of ${ne[0]} are not whole blocks of ${known.block}`);
        }
        bytes = (elements / known.block) * known.bytes;
        if (offset % BigInt(alignment as number) !== 0n) fail(`tensor ${name}'s offset ${offset} is not aligned`);
        const absolute = BigInt(dataStart) + offset;
        if (absolute + BigInt(bytes) > BigInt(cursor.size)) {
          fail(`tensor ${name} (${bytes} bytes at ${absolute}) runs past the end of the ${cursor.size}-byte file`);
        }
      }
      tensors.set(name, {
        name,
        shape: [...ne].reverse(),
        type,
        dtype: known?.name,
        offset: dataStart + Number(offset),
        bytes,
      });
    }
    return { file, version, metadata, tensors };
  } finally {
    closeSync(fd);
  }
}

function readValue(cursor: FileCursor, type: number, key: string, fail: (problem: string) => never): GgufValue {
  switch (type) {
    case GGUF_VALUE.u8:
      return cursor.u8();
    case GGUF_VALUE.i8:
      return cursor.i8();
    case GGUF_VALUE.u16:
      return cursor.u16();
    case GGUF_VALUE.i16:
      return cursor.i16();
    case GGUF_VALUE.u32:
      return cursor.u32();
    case GGUF_VALUE.i32:
      return cursor.i32();
    case GGUF_VALUE.f32:
      return cursor.f32();
    case GGUF_VALUE.f64:
      return cursor.f64();
    case GGUF_VALUE.bool: {
      const byte = cursor.u8();
      if (byte > 1) fail(`metadata ${key} is a bool of value ${byte}`);
      return byte === 1;
    }
    case GGUF_VALUE.string:
      return cursor.string();
    case GGUF_VALUE.u64:
    case GGUF_VALUE.i64: {
      const value = type === GGUF_VALUE.u64 ? cursor.u64() : cursor.i64();
      // Counts and ids fit in a double; keep the rare huge one exact.
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value;
    }
    case GGUF_VALUE.array: {
      const itemType = cursor.u32();
      if (itemType === GGUF_VALUE.array) fail(`metadata ${key} is an array of arrays`);
      const length = cursor.count(`the length of metadata ${key}`, LIMITS.arrayLength);
      // Every item takes at least one byte: a length beyond the file's remaining bytes is a lie.
      if (length > cursor.size - cursor.position) fail(`metadata ${key} claims ${length} items; the file is shorter`);
      return Array.from({ length }, () => readValue(cursor, itemType, key, fail));
    }
    default:
      return fail(`metadata ${key} has unknown value type ${type}`);
  }
}

/** The name of a ggml type id, known or not, for messages. */
export function ggmlTypeName(type: number): string {
  return GGML_TYPES[type]?.name ?? OTHER_GGML_TYPES[type] ?? `type ${type}`;
}

/** Typed metadata lookups: each names the file and key when the value is missing or of the wrong type. */
export class GgufMetadata {
  constructor(
    private readonly gguf: GgufFile,
    private readonly prefix: string,
  ) {}

  #fail(key: string, problem: string): never {
    throw new CheckpointError(this.gguf.file, `metadata ${key} ${problem}`);
  }

  has(key: string): boolean {
    return this.gguf.metadata.has(this.#key(key));
  }

  #key(key: string): string {
    return key.startsWith(".") ? `${this.prefix}${key}` : key;
  }

  /** `key` may start with "." for the architecture's own keys (`.block_count` → `llada.block_count`). */
  integer(key: string, fallback?: number): number {
    const value = this.gguf.metadata.get(this.#key(key)) ?? fallback;
    if (value === undefined) return this.#fail(this.#key(key), "is missing");
    if (typeof value !== "number" || !Number.isInteger(value)) {
      return this.#fail(this.#key(key), `should be an integer, not ${describe(value)}`);
    }
    return value;
  }

  optionalInteger(key: string): number | undefined {
    return this.has(key) ? this.integer(key) : undefined;
  }

  number(key: string, fallback?: number): number {
    const value = this.gguf.metadata.get(this.#key(key)) ?? fallback;
    if (value === undefined) return this.#fail(this.#key(key), "is missing");
    if (typeof value !== "number") return this.#fail(this.#key(key), `should be a number, not ${describe(value)}`);
    return value;
  }

  string(key: string, fallback?: string): string {
    const value = this.gguf.metadata.get(this.#key(key)) ?? fallback;
    if (value === undefined) return this.#fail(this.#key(key), "is missing");
    if (typeof value !== "string") return this.#fail(this.#key(key), `should be a string, not ${describe(value)}`);
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.gguf.metadata.get(this.#key(key)) ?? fallback;
    if (typeof value !== "boolean") return this.#fail(this.#key(key), `should be a bool, not ${describe(value)}`);
    return value;
  }

  strings(key: string): string[] {
    const value = this.gguf.metadata.get(this.#key(key));
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
      return this.#fail(this.#key(key), value === undefined ? "is missing" : "should be an array of strings");
    }
    return value as string[];
  }

  integers(key: string): number[] | undefined {
    const value = this.gguf.metadata.get(this.#key(key));
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== "number" || !Number.isInteger(item))) {
      return this.#fail(this.#key(key), "should be an array of integers");
    }
    return value as number[];
  }
}

function describe(value: GgufValue): string {
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? `the string ${JSON.stringify(value.slice(0, 40))}` : `${typeof value} ${value}`;
}
