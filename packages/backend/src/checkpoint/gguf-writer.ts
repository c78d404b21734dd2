// Writes GGUF files (version 3): metadata, the tensor index, then each tensor's bytes aligned to 32.
// Tensors are written one at a time as their bytes are produced, through a temporary file renamed
// into place at the end, so a large model never sits whole in memory and a crash never leaves a
// damaged file under the final name.
import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import type { TensorDType } from "../native";
import { GGML_TYPE_IDS, GGML_TYPES, GGUF_VALUE } from "./gguf";

export type GgufEntry =
  | { key: string; type: "string"; value: string }
  | { key: string; type: "u32" | "i32" | "f32" | "u64"; value: number }
  | { key: string; type: "bool"; value: boolean }
  | { key: string; type: "strings"; value: string[] }
  | { key: string; type: "i32s"; value: number[] };

export interface GgufTensorToWrite {
  name: string;
  /** PyTorch order (outermost first). */
  shape: number[];
  dtype: TensorDType;
  /** Produces the tensor's bytes when it is written (called once, in order). */
  bytes: () => Uint8Array;
}

const ALIGNMENT = 32;

export function writeGguf(file: string, metadata: GgufEntry[], tensors: GgufTensorToWrite[]): void {
  const header = new ByteWriter();
  header.u32(0x46554747); // "GGUF"
  header.u32(3);
  header.u64(tensors.length);
  header.u64(metadata.length);
  for (const entry of metadata) writeEntry(header, entry);
  let offset = 0;
  const sizes = tensors.map((tensor) => tensorBytes(tensor));
  tensors.forEach((tensor, i) => {
    header.string(tensor.name);
    header.u32(tensor.shape.length);
    for (const d of [...tensor.shape].reverse()) header.u64(d);
    header.u32(GGML_TYPE_IDS[tensor.dtype]);
    header.u64(offset);
    offset += align(sizes[i] as number);
  });

  const temporary = `${file}.tmp-${process.pid}`;
  const fd = openSync(temporary, "w");
  try {
    const head = header.bytes();
    writeSync(fd, head);
    writeSync(fd, new Uint8Array(align(head.length) - head.length));
    tensors.forEach((tensor, i) => {
      const data = tensor.bytes();
      if (data.length !== sizes[i]) {
        throw new Error(
          `${tensor.name}: ${data.length} bytes, expected ${sizes[i]} for ${tensor.dtype} ${JSON.stringify(tensor.shape)}`,
        );
      }
      writeSync(fd, data);
      writeSync(fd, new Uint8Array(align(data.length) - data.length));
    });
    closeSync(fd);
    renameSync(temporary, file);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
}

const align = (n: number) => Math.ceil(n / ALIGNMENT) * ALIGNMENT;

function tensorBytes(tensor: GgufTensorToWrite): number {
  const type = GGML_TYPES[GGML_TYPE_IDS[tensor.dtype]];
  if (!type) throw new Error(`${tensor.name}: no GGUF type for ${tensor.dtype}`);
  const elements = tensor.shape.reduce((product, d) => product * d, 1);
  return (elements / type.block) * type.bytes;
}

function writeEntry(out: ByteWriter, entry: GgufEntry): void {
  out.string(entry.key);
  switch (entry.type) {
    case "string":
      out.u32(GGUF_VALUE.string);
      out.string(entry.value);
      return;
    case "u32":
      out.u32(GGUF_VALUE.u32);
      out.u32(entry.value);
      return;
    case "i32":
      out.u32(GGUF_VALUE.i32);
      out.i32(entry.value);
      return;
    case "f32":
      out.u32(GGUF_VALUE.f32);
      out.f32(entry.value);
      return;
    case "u64":
      out.u32(GGUF_VALUE.u64);
      out.u64(entry.value);
      return;
    case "bool":
      out.u32(GGUF_VALUE.bool);
      out.u8(entry.value ? 1 : 0);
      return;
    case "strings":
      out.u32(GGUF_VALUE.array);
      out.u32(GGUF_VALUE.string);
      out.u64(entry.value.length);
      for (const item of entry.value) out.string(item);
      return;
    case "i32s":
      out.u32(GGUF_VALUE.array);
      out.u32(GGUF_VALUE.i32);
      out.u64(entry.value.length);
      for (const item of entry.value) out.i32(item);
      return;
  }
}

/**
 * A growable little-endian byte buffer. Each write reserves its bytes before it names the buffer:
 * reserving may replace the buffer with a larger one.
 */
class ByteWriter {
  #buffer = Buffer.alloc(1 << 16);
  #length = 0;

  #reserve(bytes: number): number {
    if (this.#length + bytes > this.#buffer.length) {
      const grown = Buffer.alloc(Math.max(this.#buffer.length * 2, this.#length + bytes));
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    const at = this.#length;
    this.#length += bytes;
    return at;
  }

  u8(value: number) {
    const at = this.#reserve(1);
    this.#buffer.writeUInt8(value, at);
  }
  u32(value: number) {
    const at = this.#reserve(4);
    this.#buffer.writeUInt32LE(value, at);
  }
  i32(value: number) {
    const at = this.#reserve(4);
    this.#buffer.writeInt32LE(value, at);
  }
  f32(value: number) {
    const at = this.#reserve(4);
    this.#buffer.writeFloatLE(value, at);
  }
  u64(value: number | bigint) {
    const at = this.#reserve(8);
    this.#buffer.writeBigUInt64LE(BigInt(value), at);
  }
  string(value: string) {
    const bytes = Buffer.from(value, "utf8");
    this.u64(bytes.length);
    const at = this.#reserve(bytes.length);
    bytes.copy(this.#buffer, at);
  }
  bytes(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }
}
