// Each kernel against a naive loop at odd sizes, for every build this CPU runs (portable, AVX2, AVX-512).
import { describe, expect, it } from "vitest";
import { native } from "../src/native";

const addon = native();
const cpu = addon.cpuInfo();
const impls = [
  "portable" as const,
  ...(cpu.avx2 ? (["avx2"] as const) : []),
  ...(cpu.avx512 ? (["avx512"] as const) : []),
];

function randomArray(n: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: n }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  });
}

/** float32 → bfloat16 bits (truncated) and back. */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function toBf16(value: number): number {
  f32[0] = value;
  return (u32[0] as number) >>> 16;
}
function fromBf16(bits: number): number {
  u32[0] = bits << 16;
  return f32[0] as number;
}
/** float32 → the nearest bfloat16 (ties to even), as a number: what the dot path does to activations. */
function roundToBf16(value: number): number {
  f32[0] = value;
  const bits = u32[0] as number;
  const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
  return fromBf16(rounded);
}
/** float32 → IEEE half bits (values here are small and normal: |v| < 0.5, above 2^-14 or zero) and back. */
function toF16(value: number): number {
  const sign = value < 0 ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude < 2 ** -14) return sign;
  const exponent = Math.floor(Math.log2(magnitude));
  const mantissa = Math.round((magnitude / 2 ** exponent - 1) * 1024);
  return sign | ((exponent + 15) << 10) | Math.min(mantissa, 1023);
}
function fromF16(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const value = exponent === 0 ? 0 : (1 + (bits & 0x3ff) / 1024) * 2 ** (exponent - 15);
  return bits & 0x8000 ? -value : value;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  expect(worst).toBeLessThan(tolerance);
}

describe.each(impls)("%s kernels", (impl) => {
  it.each([
    [1, 1, 1],
    [5, 17, 3],
    [7, 33, 19],
    [13, 16, 64],
    [6, 50, 37],
    [12, 16, 5], // one full AVX-512 tile
    [25, 31, 40], // two full tiles of 12 and a tail of 1; a partial panel
    [30, 64, 129],
    [32, 17, 11], // even row tiles: 6 6 5 5 5 5 on AVX2, 11 11 10 on AVX-512
    [8, 20, 9], // two tiles of 4 on AVX2
  ])("gemm %i×%i×%i matches the naive product, with and without bias", (rows, n, k) => {
    const x = randomArray(rows * k, rows + n);
    const w = randomArray(n * k, k + 7);
    const bias = randomArray(n, 3);
    for (const b of [null, bias]) {
      const expected = new Float64Array(rows * n);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < n; j++) {
          let sum = b ? (b[j] as number) : 0;
          for (let kk = 0; kk < k; kk++) sum += (x[r * k + kk] as number) * (w[j * k + kk] as number);
          expected[r * n + j] = sum;
        }
      }
      expectClose(addon.kernels.gemm(x, rows, w, n, k, b, impl), expected, 1e-5);
    }
  });

  it.each([
    ["bf16", 7, 33, 19],
    ["bf16", 25, 31, 40],
    ["f16", 13, 16, 64],
    ["f16", 25, 50, 37],
  ] as const)("gemm with %s weights %i×%i×%i is the float32 product of the widened weights", (dtype, rows, n, k) => {
    const x = randomArray(rows * k, rows + n);
    const bias = randomArray(n, 5);
    // 16-bit weights and the float32 values they stand for (exact in both directions).
    const bits = new Uint16Array(n * k);
    const widened = new Float32Array(n * k);
    const source = randomArray(n * k, k + 3);
    for (let i = 0; i < bits.length; i++) {
      bits[i] = dtype === "bf16" ? toBf16(source[i] as number) : toF16(source[i] as number);
      widened[i] = dtype === "bf16" ? fromBf16(bits[i] as number) : fromF16(bits[i] as number);
    }
    const expected = addon.kernels.gemm(x, rows, widened, n, k, bias, "portable");
    expectClose(addon.kernels.gemm16(x, rows, bits, n, k, bias, dtype, impl), expected, 1e-5);
  });

  it("rmsNorm matches x / sqrt(mean(x²) + eps) · w", () => {
    const [rows, dim, eps] = [3, 37, 1e-5];
    const x = randomArray(rows * dim, 11);
    const weight = randomArray(dim, 12);
    const expected = new Float64Array(rows * dim);
    for (let r = 0; r < rows; r++) {
      let square = 0;
      for (let i = 0; i < dim; i++) square += (x[r * dim + i] as number) ** 2;
      const scale = 1 / Math.sqrt(square / dim + eps);
      for (let i = 0; i < dim; i++) expected[r * dim + i] = (x[r * dim + i] as number) * scale * (weight[i] as number);
    }
    expectClose(addon.kernels.rmsNorm(x, weight, rows, dim, eps, impl), expected, 1e-5);
  });

  it.each([
    [3, 4, 2, 10],
    [5, 6, 3, 17],
  ])(
    "attention (%i query rows, %i heads, %i kv heads, %i keys) matches softmax(qkᵀ/√d)·v",
    (rows, heads, kvHeads, length) => {
      const headDim = 6;
      const q = randomArray(rows * heads * headDim, 21);
      const keys = randomArray(length * kvHeads * headDim, 22);
      const values = randomArray(length * kvHeads * headDim, 23);
      const expected = new Float64Array(rows * heads * headDim);
      for (let r = 0; r < rows; r++) {
        for (let h = 0; h < heads; h++) {
          const kvh = Math.floor(h / (heads / kvHeads));
          const scores = Array.from({ length }, (_, j) => {
            let dot = 0;
            for (let d = 0; d < headDim; d++) {
              dot += (q[(r * heads + h) * headDim + d] as number) * (keys[(j * kvHeads + kvh) * headDim + d] as number);
            }
            return dot / Math.sqrt(headDim);
          });
          const max = Math.max(...scores);
          const total = scores.reduce((sum, s) => sum + Math.exp(s - max), 0);
          scores.forEach((s, j) => {
            for (let d = 0; d < headDim; d++) {
              const at = (r * heads + h) * headDim + d;
              expected[at] =
                (expected[at] as number) +
                (Math.exp(s - max) / total) * (values[(j * kvHeads + kvh) * headDim + d] as number);
            }
          });
        }
      }
      expectClose(
        addon.kernels.attention(q, rows, keys, values, length, heads, kvHeads, headDim, impl),
        expected,
        1e-5,
      );
    },
  );
});

// The vector kernels' exponential is a polynomial, not the C library's: held to float64 within a few
// float32 ulps (relative 2e-6 here) over the whole range softmax and silu feed it.
describe.each(impls)("%s element-wise kernels", (impl) => {
  /** n values spread evenly over [low, high] with a jitter, so every size has tails and lanes vary. */
  const spread = (n: number, low: number, high: number, seed: number) => {
    const jitter = randomArray(n, seed);
    return Float32Array.from({ length: n }, (_, i) => low + ((high - low) * (i + 0.5 + (jitter[i] as number))) / n);
  };
  const relativeError = (actual: number, expected: number) =>
    Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-30);

  it.each([1, 7, 8, 9, 17, 1000])("siluMul of %i values is silu(gate) · up within 2e-6", (n) => {
    const gate = spread(n, -80, 80, n);
    const up = randomArray(n, n + 1);
    const out = addon.kernels.siluMul(gate, up, impl);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const g = gate[i] as number;
      const expected = (g / (1 + Math.exp(-g))) * (up[i] as number);
      worst = Math.max(worst, relativeError(out[i] as number, Math.fround(expected)));
    }
    expect(worst).toBeLessThan(2e-6);
  });

  it("siluMul gives each element the same bits wherever a thread's range starts", () => {
    const gate = spread(203, -20, 20, 5);
    const up = randomArray(203, 6);
    const whole = addon.kernels.siluMul(gate, up, impl);
    for (const offset of [1, 3, 8, 13, 200]) {
      expect(addon.kernels.siluMul(gate, up, impl, offset).subarray(offset)).toEqual(whole.subarray(offset));
    }
  });

  it("siluMul is finite and near silu's limits far out: 0 below −88 and the gate itself above 88", () => {
    const gate = Float32Array.from([-1000, -100, -88.5, 88.5, 100, 1000]);
    const out = addon.kernels.siluMul(gate, new Float32Array(6).fill(1), impl);
    for (let i = 0; i < 3; i++) expect(Math.abs(out[i] as number)).toBeLessThan(1e-30);
    for (let i = 3; i < 6; i++) expect(out[i]).toBe(gate[i]);
  });

  it.each([1, 5, 8, 15, 288, 1001])(
    "expShifted of %i values is e^((x − shift) · scale) within 2e-6, and returns their sum",
    (n) => {
      const row = spread(n, -180, 0, n + 2);
      const { values, sum } = addon.kernels.expShifted(row, -10, 0.5, impl);
      let worst = 0;
      let expectedSum = 0;
      for (let i = 0; i < n; i++) {
        const expected = Math.exp(((row[i] as number) + 10) * 0.5);
        expectedSum += Math.fround(expected);
        // Below e^-87 the vector kernels flush to 0 where the library gives a denormal.
        if (expected > 1e-37) worst = Math.max(worst, relativeError(values[i] as number, Math.fround(expected)));
        else expect(values[i]).toBeLessThan(2e-38);
      }
      expect(worst).toBeLessThan(2e-6);
      expect(relativeError(sum, expectedSum)).toBeLessThan(1e-5);
    },
  );

  it("expShifted gives 0 for −∞ (a masked score) and 1 at the shift", () => {
    const { values, sum } = addon.kernels.expShifted(Float32Array.from([-Infinity, 3, -Infinity]), 3, 0.125, impl);
    expect(Array.from(values)).toEqual([0, 1, 0]);
    expect(sum).toBe(1);
  });
});

describe("rope", () => {
  it("rotates each head's halves by position · θ^(-2i/d), leaving norms unchanged", () => {
    const [heads, headDim, theta] = [3, 8, 10000];
    const positions = Int32Array.from([0, 1, 7, 300]);
    const x = randomArray(positions.length * heads * headDim, 31);
    const out = addon.kernels.rope(x, positions, heads, headDim, theta);
    const half = headDim / 2;
    positions.forEach((pos, r) => {
      for (let h = 0; h < heads; h++) {
        const base = (r * heads + h) * headDim;
        for (let i = 0; i < half; i++) {
          const angle = pos * theta ** (-(2 * i) / headDim);
          const a = x[base + i] as number;
          const b = x[base + i + half] as number;
          expect(out[base + i]).toBeCloseTo(a * Math.cos(angle) - b * Math.sin(angle), 4);
          expect(out[base + i + half]).toBeCloseTo(b * Math.cos(angle) + a * Math.sin(angle), 4);
        }
      }
    });
    expectClose(out.subarray(0, heads * headDim), x.subarray(0, heads * headDim), 1e-7); // position 0: identity
  });

  it("partial rotary (LLaDA2): only each head's first values turn, paired among themselves at θ^(-2i/rotary)", () => {
    const [heads, headDim, rotary, theta] = [2, 12, 4, 600000];
    const positions = Int32Array.from([3, 250]);
    const x = randomArray(positions.length * heads * headDim, 33);
    const out = addon.kernels.rope(x, positions, heads, headDim, theta, rotary);
    positions.forEach((pos, r) => {
      for (let h = 0; h < heads; h++) {
        const base = (r * heads + h) * headDim;
        for (let i = 0; i < rotary / 2; i++) {
          const angle = pos * theta ** (-(2 * i) / rotary);
          const a = x[base + i] as number;
          const b = x[base + i + rotary / 2] as number;
          expect(out[base + i]).toBeCloseTo(a * Math.cos(angle) - b * Math.sin(angle), 4);
          expect(out[base + i + rotary / 2]).toBeCloseTo(b * Math.cos(angle) + a * Math.sin(angle), 4);
        }
        for (let i = rotary; i < headDim; i++) expect(out[base + i]).toBe(x[base + i]); // the rest pass through
      }
    });
    expect(() => addon.kernels.rope(x, positions, heads, headDim, theta, 5)).toThrow(/rotary dims/);
  });
});

describe("rowStats", () => {
  const logits = Float32Array.from([0.5, 2.0, -1.0, 1.5, 0.0, 1.9, -3.0]);
  const probs = (() => {
    const max = Math.max(...logits);
    const e = Array.from(logits, (l) => Math.exp(l - max));
    const total = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / total);
  })();

  it("reports argmax, its probability, the top-2 margin and the entropy", () => {
    const stats = addon.kernels.rowStats(logits, null, 0, 0);
    expect(stats.argmax).toBe(1);
    expect(stats.confidence).toBeCloseTo(probs[1] as number, 6);
    expect(stats.margin).toBeCloseTo((probs[1] as number) - (probs[5] as number), 6);
    expect(stats.entropy).toBeCloseTo(-probs.reduce((h, p) => h + p * Math.log(p), 0), 5);
    expect(stats.sample).toBe(1); // temperature 0: the draw is the argmax
  });

  it("draws the same token for the same seed, position and step", () => {
    const sampling = { temperature: 1, seed: 42 };
    const a = addon.kernels.rowStats(logits, sampling, 5, 3);
    const b = addon.kernels.rowStats(logits, sampling, 5, 3);
    expect(a.sample).toBe(b.sample);
    expect(a.sampleProb).toBeCloseTo(probs[a.sample] as number, 6);
  });

  it("samples in proportion to softmax(logits / T)", () => {
    const counts = new Array(logits.length).fill(0);
    const draws = 4000;
    for (let i = 0; i < draws; i++) counts[addon.kernels.rowStats(logits, { temperature: 1, seed: 7 }, i, 0).sample]++;
    probs.forEach((p, token) => {
      expect(Math.abs(counts[token] / draws - p)).toBeLessThan(0.03);
    });
  });

  it("top-k 1 and a tiny top-p leave only the argmax", () => {
    for (let seed = 0; seed < 20; seed++) {
      expect(addon.kernels.rowStats(logits, { temperature: 2, topK: 1, seed }, 0, 0).sample).toBe(1);
      expect(addon.kernels.rowStats(logits, { temperature: 2, topP: 0.01, seed }, 0, 0).sample).toBe(1);
    }
  });

  it("top-k 2 draws only the two best tokens", () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 200; seed++)
      seen.add(addon.kernels.rowStats(logits, { temperature: 5, topK: 2, seed }, 0, 0).sample);
    expect([...seen].sort()).toEqual([1, 5]);
  });
});

describe("kernel errors", () => {
  it("mismatched sizes throw instead of crashing", () => {
    expect(() => addon.kernels.gemm(new Float32Array(5), 2, new Float32Array(6), 3, 2, null)).toThrow(
      /sizes do not match/,
    );
    expect(() =>
      addon.kernels.attention(new Float32Array(4), 1, new Float32Array(4), new Float32Array(4), 1, 3, 2, 2),
    ).toThrow(/sizes do not match/);
    expect(() => addon.kernels.rowStats(new Float32Array(0), null, 0, 0)).toThrow(/empty/);
  });
});

describe("choosing the kernels", () => {
  it("ANNEAL_CPU forces a path this CPU runs; one it cannot run falls back to the best", async () => {
    const { execFileSync } = await import("node:child_process");
    const { fileURLToPath } = await import("node:url");
    const addonPath = fileURLToPath(new URL("../native/build/anneal.node", import.meta.url));
    const kernelsWith = (value: string) =>
      execFileSync(process.execPath, ["-e", `console.log(require(${JSON.stringify(addonPath)}).cpuInfo().kernels)`], {
        env: { ...process.env, ANNEAL_CPU: value },
        encoding: "utf8",
      }).trim();
    expect(kernelsWith("portable")).toBe("portable");
    if (cpu.avx2) expect(kernelsWith("avx2")).toBe("avx2");
    expect(kernelsWith("no-such-isa")).toBe(cpu.kernels);
    expect(cpu.kernels).toBe(cpu.avx512 ? "avx512" : cpu.avx2 ? "avx2" : "portable");
  });
});

// Where the CPU has AVX-512 BF16 (the CI machines do), BF16 weights default to vdpbf16ps.
describe("rows longer than one GEMM slice (4096 values), multiplied a slice at a time", () => {
  // 8197 = two whole slices and an odd tail; each slice adds into the output after the first.
  const rows = 5;
  const n = 20;
  const k = 8197;
  const x = randomArray(rows * k, 11);
  const bias = randomArray(n, 12);
  const bits = Uint16Array.from(randomArray(n * k, 13), (v) => toBf16(v));
  /** Σ x·w + bias in float64, with the activations as `activation` gives them. */
  const naive = (activation: (v: number) => number) => {
    const expected = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        let sum = bias[j] as number;
        for (let kk = 0; kk < k; kk++)
          sum += activation(x[r * k + kk] as number) * fromBf16(bits[j * k + kk] as number);
        expected[r * n + j] = sum;
      }
    }
    return expected;
  };
  const widened = Float32Array.from(bits, (b) => fromBf16(b));
  // float32 sums of 8197 terms of magnitude ~1 round at ~1e-4; a slice lost or counted twice is off by ~10.
  const tolerance = 2e-3;

  it.each(impls)("%s: F32 and BF16 (widened) weights", (impl) => {
    const expected = naive((v) => v);
    expectClose(addon.kernels.gemm(x, rows, widened, n, k, bias, impl), expected, tolerance);
    expectClose(addon.kernels.gemm16(x, rows, bits, n, k, bias, "bf16", impl), expected, tolerance);
  });

  it.skipIf(!cpu.avx512Bf16)("BF16 weights on the dot-product instruction", () => {
    expectClose(
      addon.kernels.gemm16(x, rows, bits, n, k, bias, "bf16", "avx512", "dot"),
      naive(roundToBf16),
      tolerance,
    );
  });
});

describe.skipIf(!cpu.avx512Bf16)("BF16 dot-product kernels", () => {
  it.each([
    [1, 1, 1],
    [7, 33, 19], // odd k: the last weight row paired with zeros
    [12, 16, 64],
    [25, 31, 40], // two full tiles and a tail; a partial panel
    [30, 64, 129],
  ])(
    "gemm with bf16 weights on the dot-product instruction %i×%i×%i: the product of BF16-rounded activations",
    (rows, n, k) => {
      const x = randomArray(rows * k, rows + n + 1);
      const bias = randomArray(n, 6);
      const source = randomArray(n * k, k + 5);
      const bits = Uint16Array.from(source, (v) => toBf16(v));
      const expected = new Float64Array(rows * n);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < n; j++) {
          let sum = bias[j] as number;
          for (let kk = 0; kk < k; kk++)
            sum += roundToBf16(x[r * k + kk] as number) * fromBf16(bits[j * k + kk] as number);
          expected[r * n + j] = sum;
        }
      }
      // Products of BF16 values are exact in float32; only the float32 sums round.
      expectClose(addon.kernels.gemm16(x, rows, bits, n, k, bias, "bf16", "avx512", "dot"), expected, 1e-5);
      // And the widening path is a different (exact float32) product.
      const widened = addon.kernels.gemm16(x, rows, bits, n, k, bias, "bf16", "avx512", "widen");
      if (k > 1)
        expect(Array.from(widened)).not.toEqual(
          Array.from(addon.kernels.gemm16(x, rows, bits, n, k, bias, "bf16", "avx512", "dot")),
        );
    },
  );
});
