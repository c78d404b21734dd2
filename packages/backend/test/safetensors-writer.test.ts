// Half and bfloat16 encoding (round to nearest even, subnormals, overflow) and the written file's layout.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensorsHeader } from "../src/checkpoint/safetensors";
import { safetensorsBytes, toBf16, toF16 } from "../src/checkpoint/safetensors-writer";

const bitsOf = (value: number) => new Uint32Array(Float32Array.of(value).buffer)[0] as number;

describe("toF16", () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds up past the largest half: infinity
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -26, 0x0000], // underflows to zero
    [1 + 2 ** -11, 0x3c00], // a tie rounds to even
    [1 + 3 * 2 ** -11, 0x3c02],
    [Number.POSITIVE_INFINITY, 0x7c00],
  ])("%f -> %s", (value, expected) => {
    expect(toF16(bitsOf(value))).toBe(expected);
  });

  it("keeps NaN a NaN", () => {
    expect(toF16(bitsOf(Number.NaN)) & 0x7c00).toBe(0x7c00);
    expect(toF16(bitsOf(Number.NaN)) & 0x3ff).not.toBe(0);
  });
});

describe("toBf16", () => {
  it.each([
    [1, 0x3f80],
    [-1.5, 0xbfc0],
    [1 + 2 ** -8, 0x3f80], // tie to even
    [1 + 3 * 2 ** -8, 0x3f82],
  ])("%f -> %s", (value, expected) => {
    expect(toBf16(bitsOf(value))).toBe(expected);
  });
});

describe("safetensorsBytes", () => {
  it("writes a header the reader accepts, with aligned data and the right offsets", () => {
    const file = join(mkdtempSync(join(tmpdir(), "anneal-st-")), "t.safetensors");
    const a = { name: "a", shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, 6]) };
    const b = { name: "b", shape: [3], values: Float32Array.from([7, 8, 9]) };
    const bytes = safetensorsBytes([a, b], "BF16", { step: "12" });
    writeFileSync(file, bytes);
    const [ta, tb] = readSafetensorsHeader(file);
    expect(ta).toMatchObject({ name: "a", dtype: "BF16", shape: [2, 3], bytes: 12 });
    expect(tb).toMatchObject({ name: "b", offset: (ta?.offset ?? 0) + 12, bytes: 6 });
    expect((ta?.offset ?? 1) % 8).toBe(0);
    expect(bytes.readUInt16LE(ta?.offset ?? 0)).toBe(0x3f80); // 1.0 in bfloat16
  });
});
