// Writes safetensors files: the 8-byte header length, the JSON header, then the tensors' bytes.
import type { DType } from "./safetensors";

export interface TensorData {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** The bytes of one .safetensors file, with every tensor stored as `dtype`. */
export function safetensorsBytes(
  tensors: TensorData[],
  dtype: DType = "F32",
  metadata: Record<string, string> = {},
): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: "pt", ...metadata } };
  const blobs: Buffer[] = [];
  let offset = 0;
  for (const t of tensors) {
    const data = encodeFloats(t.values, dtype);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + data.length] };
    blobs.push(data);
    offset += data.length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // data starts 8-byte aligned
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([prefix, Buffer.from(json), ...blobs]);
}

/** float32 values as the little-endian bytes of `dtype` (F32 as they are; F16 and BF16 rounded). */
export function encodeFloats(values: Float32Array, dtype: DType): Buffer {
  if (dtype === "F32") return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const bits = new Uint32Array(Float32Array.from(values).buffer);
  const out = Buffer.alloc(values.length * 2);
  for (let i = 0; i < bits.length; i++) {
    out.writeUInt16LE(dtype === "BF16" ? toBf16(bits[i] as number) : toF16(bits[i] as number), i * 2);
  }
  return out;
}

/** float32 bits -> bfloat16 bits, rounding to nearest even (NaN stays NaN). */
export function toBf16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return (bits >>> 16) | 0x40;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float32 bits -> IEEE half bits, rounding to nearest even, with subnormals and overflow to ±inf. */
export function toF16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    return sign | (half + (rest > midpoint || (rest === midpoint && half & 1) ? 1 : 0));
  }
  const rest = mantissa & 0x1fff;
  mantissa >>>= 13;
  if (rest > 0x1000 || (rest === 0x1000 && mantissa & 1)) {
    mantissa++;
    if (mantissa === 0x400) {
      mantissa = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | mantissa;
}
