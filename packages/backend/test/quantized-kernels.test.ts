// GGUF block formats (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K): hand-built blocks decode to the values llama.cpp's
// layout defines, quantizing round-trips within each format's error, and the int8 products of every
// kernel path this CPU runs agree with the portable twin and with the float product they stand for.
import { describe, expect, it } from "vitest";
import { fromF16 } from "../src/checkpoint/safetensors";
import { toF16 } from "../src/checkpoint/safetensors-writer";
import { native } from "../src/native";

const addon = native();
const cpu = addon.cpuInfo();
const impls = [
  "portable" as const,
  ...(cpu.avx2 ? (["avx2"] as const) : []),
  ...(cpu.avx512 ? (["avx512"] as const) : []),
];
const types = ["Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"] as const;
type QuantType = (typeof types)[number];
const blockElements: Record<QuantType, number> = { Q8_0: 32, Q4_0: 32, Q4_K: 256, Q5_K: 256, Q6_K: 256 };

/** Roughly Gaussian values (sum of uniforms), with a few outliers (every 97th ×8) unless told not to. */
function weights(n: number, seed: number, outliers = true): Float32Array {
  let state = seed;
  const uniform = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  return Float32Array.from(
    { length: n },
    (_, i) => (uniform() + uniform() + uniform()) * (outliers && i % 97 === 0 ? 4 : 0.5),
  );
}

function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let error = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    error += ((actual[i] as number) - (expected[i] as number)) ** 2;
    norm += (expected[i] as number) ** 2;
  }
  return Math.sqrt(error / norm);
}

/** y[r][j] = Σ x[r][k] w[j][k] in float64. */
function product(x: Float32Array, rows: number, w: Float32Array, n: number, k: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += (x[r * k + i] as number) * (w[j * k + i] as number);
      y[r * n + j] = sum;
    }
  }
  return y;
}

const half = (value: number) => {
  // IEEE half bits of a value exactly representable in half (the tests use 1, 0.5, 0.25, 2).
  const exponent = Math.floor(Math.log2(value));
  return ((exponent + 15) << 10) | Math.round((value / 2 ** exponent - 1) * 1024);
};

/**
 * A Q4_K or Q5_K block of `bytes` with its codes still zero: d = 1, dmin = 0.5, and the 12 bytes of
 * packed 6-bit scales and minimums as llama.cpp lays them out, for scales sc_j = 10 + j + 40·[j ≥ 4]
 * and minimums m_j = 2j + 33·[j ≥ 4] (so the high bits matter).
 */
function kQuantBlock(bytes: number): { block: Uint8Array; sc: number[]; m: number[] } {
  const block = new Uint8Array(bytes);
  const view = new DataView(block.buffer);
  view.setUint16(0, half(1), true); // d
  view.setUint16(2, half(0.5), true); // dmin
  const scales = block.subarray(4, 16);
  const sc = Array.from({ length: 8 }, (_, j) => 10 + j + (j >= 4 ? 40 : 0));
  const m = Array.from({ length: 8 }, (_, j) => 2 * j + (j >= 4 ? 33 : 0));
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      scales[j] = (scales[j] as number) | (sc[j] as number);
      scales[j + 4] = (scales[j + 4] as number) | (m[j] as number);
    } else {
      scales[j + 4] = ((sc[j] as number) & 0xf) | (((m[j] as number) & 0xf) << 4);
      scales[j - 4] = (scales[j - 4] as number) | (((sc[j] as number) >> 4) << 6);
      scales[j] = (scales[j] as number) | (((m[j] as number) >> 4) << 6);
    }
  }
  return { block, sc, m };
}

describe("GGUF block layouts", () => {
  it("Q8_0: x = d · q", () => {
    const block = new Uint8Array(34);
    new DataView(block.buffer).setUint16(0, half(0.5), true);
    for (let i = 0; i < 32; i++) block[2 + i] = (i - 16) & 0xff;
    const values = addon.kernels.dequantize(block, "Q8_0", 32);
    expect(Array.from(values)).toEqual(Array.from({ length: 32 }, (_, i) => 0.5 * (i - 16)));
  });

  it("Q4_0: low nibbles are elements 0..15, high nibbles 16..31, both offset by 8", () => {
    const block = new Uint8Array(18);
    new DataView(block.buffer).setUint16(0, half(2), true);
    for (let i = 0; i < 16; i++) block[2 + i] = i | ((15 - i) << 4);
    const values = Array.from(addon.kernels.dequantize(block, "Q4_0", 32));
    expect(values.slice(0, 16)).toEqual(Array.from({ length: 16 }, (_, i) => 2 * (i - 8)));
    expect(values.slice(16)).toEqual(Array.from({ length: 16 }, (_, i) => 2 * (15 - i - 8)));
  });

  it("Q4_K: 6-bit scales and minimums packed in 12 bytes; sub-block 2c low nibbles, 2c+1 high", () => {
    const { block, sc, m } = kQuantBlock(144);
    for (let l = 0; l < 128; l++) block[16 + l] = (l % 16) | ((15 - (l % 16)) << 4);
    const values = addon.kernels.dequantize(block, "Q4_K", 256);
    for (let j = 0; j < 8; j++) {
      for (let l = 0; l < 32; l++) {
        const byte = 32 * Math.floor(j / 2) + l;
        const code = j % 2 === 0 ? byte % 16 : 15 - (byte % 16);
        expect(values[32 * j + l]).toBeCloseTo((sc[j] as number) * code - 0.5 * (m[j] as number), 5);
      }
    }
  });

  it("Q5_K: Q4_K's scales and nibbles, and bit j of qh[l] the top bit of sub-block j's element l", () => {
    const { block, sc, m } = kQuantBlock(176);
    // codes 0..31 (element i of the super-block: (7i + 3) mod 32), as llama.cpp's dequantize_row_q5_K reads them
    const code = (j: number, l: number) => (7 * (32 * j + l) + 3) % 32;
    for (let l = 0; l < 32; l++) {
      for (let j = 0; j < 8; j++) {
        const at = 48 + 32 * Math.floor(j / 2) + l;
        block[at] = (block[at] as number) | ((code(j, l) & 0xf) << (4 * (j % 2)));
        block[16 + l] = (block[16 + l] as number) | ((code(j, l) >> 4) << j);
      }
    }
    const values = addon.kernels.dequantize(block, "Q5_K", 256);
    for (let j = 0; j < 8; j++) {
      for (let l = 0; l < 32; l++) {
        expect(values[32 * j + l]).toBeCloseTo((sc[j] as number) * code(j, l) - 0.5 * (m[j] as number), 5);
      }
    }
  });

  it("Q6_K: low four bits in ql, high two in qh, sixteen int8 scales, offset by 32", () => {
    const block = new Uint8Array(210);
    const codes = Array.from({ length: 256 }, (_, i) => (i * 7) % 64);
    for (let h = 0; h < 2; h++) {
      for (let l = 0; l < 32; l++) {
        const c = (i: number) => codes[128 * h + i] as number;
        block[64 * h + l] = (c(l) & 0xf) | ((c(l + 64) & 0xf) << 4);
        block[64 * h + l + 32] = (c(l + 32) & 0xf) | ((c(l + 96) & 0xf) << 4);
        block[128 + 32 * h + l] =
          (c(l) >> 4) | ((c(l + 32) >> 4) << 2) | ((c(l + 64) >> 4) << 4) | ((c(l + 96) >> 4) << 6);
      }
    }
    const scales = Array.from({ length: 16 }, (_, j) => (j % 2 === 0 ? j + 1 : -(j + 1)));
    for (let j = 0; j < 16; j++) block[192 + j] = (scales[j] as number) & 0xff;
    new DataView(block.buffer).setUint16(208, half(0.25), true);
    const values = addon.kernels.dequantize(block, "Q6_K", 256);
    for (let i = 0; i < 256; i++) {
      expect(values[i]).toBeCloseTo(0.25 * (scales[Math.floor(i / 16)] as number) * ((codes[i] as number) - 32), 5);
    }
  });
});

describe("the Q4_0 quantizer", () => {
  it("never loses to llama.cpp's reference choice (the largest |x| onto −8), block by block", () => {
    const values = weights(32 * 400, 17);
    const ours = addon.kernels.dequantize(addon.kernels.quantize(values, "Q4_0"), "Q4_0", values.length);
    let oursTotal = 0;
    let referenceTotal = 0;
    for (let b = 0; b < values.length / 32; b++) {
      const block = values.subarray(32 * b, 32 * b + 32);
      const extreme = block.reduce((most, x) => (Math.abs(x) > Math.abs(most) ? x : most), 0);
      // llama.cpp's quantize_row_q4_0_ref: codes from d = max / −8, d stored as F16.
      const d = extreme / -8;
      const stored = fromF16(toF16(new Uint32Array(Float32Array.of(d).buffer)[0] as number));
      const squared = (restore: (x: number, i: number) => number) =>
        block.reduce((sum, x, i) => sum + (x - restore(x, i)) ** 2, 0);
      const reference = squared((x) => (d ? stored * (Math.min(15, Math.floor(x * (1 / d) + 8.5)) - 8) : 0));
      const mine = squared((_, i) => ours[32 * b + i] as number);
      expect(mine).toBeLessThanOrEqual(reference * 1.0001 + 1e-12);
      oursTotal += mine;
      referenceTotal += reference;
    }
    expect(oursTotal).toBeLessThan(0.97 * referenceTotal); // and searching the scale pays
  });
});

describe.each(types)("%s", (type) => {
  const block = blockElements[type];
  // Relative RMS error of each format on Gaussian weights (ours measure 0.005, 0.079, 0.067, 0.034, 0.016).
  const bound: Record<QuantType, number> = { Q8_0: 0.008, Q4_0: 0.1, Q4_K: 0.085, Q5_K: 0.045, Q6_K: 0.025 };
  // The activations' int8 rounding: blocks of 32 for Q8_0/Q4_0, of 256 for the K-quants (an outlier
  // then coarsens 256 values, as in llama.cpp).
  const productBound = block === 32 ? 0.01 : 0.03;

  it("round-trips within the format's error", () => {
    const values = weights(block * 32, 3, false);
    const restored = addon.kernels.dequantize(addon.kernels.quantize(values, type), type, values.length);
    expect(relativeError(restored, values)).toBeLessThan(bound[type]);
  });

  it("refuses rows that are not whole blocks, naming the type", () => {
    expect(() => addon.kernels.quantize(weights(block + 1, 1), type)).toThrow(/whole number of blocks/);
    expect(() => addon.kernels.gemmQuantized(weights(40, 1), 1, new Uint8Array(7), 1, 40, null, type)).toThrow(
      /sizes do not match/,
    );
  });

  it.each(impls.filter((impl) => impl !== "portable"))(
    "on %s, the activations quantize to the portable quantizer's exact bytes (zeros, ties, outliers)",
    (impl) => {
      const k = block * 4;
      const values = weights(k, 11);
      values.fill(0, 0, block); // an all-zero block: scale 0, codes 0
      // The next block's largest value is 1, so x · 127 / 1 lands on (or next to) the .5 ties.
      values[block] = 1;
      for (let i = 1; i < 16; i++) values[block + i] = (i + 0.5) / 127;
      values[2 * block + 3] = -1e6; // an outlier that sets its block's scale
      const twin = addon.kernels.quantizeActivations(values, type, "portable");
      expect(
        Buffer.compare(Buffer.from(addon.kernels.quantizeActivations(values, type, impl)), Buffer.from(twin)),
      ).toBe(0);
    },
  );

  // Where a path repacks quantized weights into sixteen-row panels (AVX2, AVX-512 VNNI), its row products
  // are checked too ("rows"): both must match.
  type Path = { impl: (typeof impls)[number]; layout: "panels" | "rows" };
  const paths = impls.flatMap((impl): Path[] =>
    impl === "portable"
      ? [{ impl, layout: "panels" as const }]
      : (["panels", "rows"] as const).map((layout) => ({ impl, layout })),
  );
  describe.each(paths)("on $impl ($layout)", ({ impl, layout }) => {
    it.each([
      [1, 1, 1],
      [7, 5, 3],
      [9, 33, 2], // one full tile of 8 activation rows and one more
      [17, 16, 1],
    ])(
      "%i×%i×(%i blocks): the int8 product matches the float product of the dequantized weights",
      (rows, n, blocks) => {
        const k = block * blocks;
        const x = weights(rows * k, rows + n);
        const w = weights(n * k, n + blocks);
        const quantized = quantizeRows(w, n, k, type);
        const restored = addon.kernels.dequantize(quantized, type, n * k);
        const bias = weights(n, 9);
        const y = addon.kernels.gemmQuantized(x, rows, quantized, n, k, bias, type, impl, layout);
        const expected = product(x, rows, restored, n, k).map((v, i) => v + (bias[i % n] as number));
        // Only the activations' int8 rounding separates them.
        expect(relativeError(y, expected)).toBeLessThan(productBound);
        if (impl !== "portable") {
          const twin = addon.kernels.gemmQuantized(x, rows, quantized, n, k, bias, type, "portable");
          // The same integer sums; only the order of the float scaling differs.
          expect(relativeError(y, twin)).toBeLessThan(1e-5);
        }
        if (layout === "panels") {
          // Pairs of panels at once (where the type has pair tiles: n = 33 is a pair and one more)
          // give exactly what one panel at a time gives.
          const single = addon.kernels.gemmQuantized(x, rows, quantized, n, k, bias, type, impl, "panel");
          expect(Array.from(y)).toEqual(Array.from(single));
        }
      },
    );

    // (The portable twin is what the others are held to.)
    if (impl !== "portable")
      it("codes at the top of their range times activations of ±127 sum exactly (no int16 saturation)", () => {
        // Each group of 16 weights: one at the low end, the rest at the top, so the codes of the
        // others sit at (or next to) their format's largest value; every activation quantizes to ±127.
        const k = block * 2;
        const n = 17;
        for (const [low, top] of [
          [0, 1],
          [-1, 0.97],
          [1, -0.97],
        ] as const) {
          const w = Float32Array.from({ length: n * k }, (_, i) => (i % 16 === 0 ? low : top));
          const x = Float32Array.from({ length: 2 * k }, (_, i) => (i < k ? 1 : -1));
          const quantized = quantizeRows(w, n, k, type);
          const y = addon.kernels.gemmQuantized(x, 2, quantized, n, k, null, type, impl, layout);
          const twin = addon.kernels.gemmQuantized(x, 2, quantized, n, k, null, type, "portable");
          expect(relativeError(y, twin)).toBeLessThan(1e-6);
        }
      });
  });
});

/** Each row quantized on its own, as a GGUF tensor stores W[n][k]. */
function quantizeRows(w: Float32Array, n: number, k: number, type: QuantType): Uint8Array {
  const rows = Array.from({ length: n }, (_, j) => addon.kernels.quantize(w.subarray(j * k, (j + 1) * k), type));
  const out = new Uint8Array(rows.reduce((total, row) => total + row.length, 0));
  let offset = 0;
  for (const row of rows) {
    out.set(row, offset);
    offset += row.length;
  }
  return out;
}
