// The native forward pass against the float64 reference, for every family and dtype, plus
// batching, row selection and the KV cache.
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../src/index";
import { native } from "../src/native";
import { maxLogitError } from "./support/compare";
import { referenceLogits } from "./support/reference-model";
import { DEFAULT_SPEC, MASK_ID, TINY_MOE, type TinyModelSpec, writeCheckpoint } from "./support/write-checkpoint";

/** LLaDA-MoE's own layout: every layer a mixture, no shared expert, no bias (4 experts, top 3). */
const MOE_ALL_LAYERS = {
  experts: 4,
  expertsPerToken: 3,
  expertFfn: 40,
  sharedExpertFfn: 0,
  expertBias: false,
  normTopK: false,
};

const tokens = Int32Array.from([1, 72, 101, MASK_ID, MASK_ID, 108, MASK_ID, 33, 200]);
const allRows = Int32Array.from(tokens.keys());
/** Logits of the engine stay within this fraction of the reference's largest logit. */
const TOLERANCE = 1e-4;

describe.each<[string, Partial<TinyModelSpec>]>([
  ["LLaDA, F32", {}],
  ["LLaDA, F16, 3 shards, GQA", { dtype: "F16", shards: 3, kvHeads: 2 }],
  ["LLaDA, BF16, tied embeddings, qkv bias", { dtype: "BF16", tied: true, qkvBias: true }],
  ["Dream, BF16, GQA, bias", { family: "dream", dtype: "BF16", kvHeads: 1 }],
  ["Dream, F32, tied", { family: "dream", tied: true, heads: 6, kvHeads: 3 }],
  ["LLaDA-MoE, F32: q/k norms, dense + mixture layers, expert bias, shared expert", TINY_MOE],
  ["LLaDA-MoE, BF16, GQA, every layer a mixture", { ...TINY_MOE, dtype: "BF16", kvHeads: 2, moe: MOE_ALL_LAYERS }],
])("%s", (_, overrides) => {
  it("matches the reference logits at every position", async () => {
    const checkpoint = writeCheckpoint(overrides);
    // BF16 matrices widened to float32 (the exact path); the dot-product path is held below.
    const { model } = await loadCheckpoint(checkpoint.dir, { threads: 2, bf16: "widen" });
    const [out] = await model.forward([{ tokens, statRows: allRows, wantLogits: true }]);
    const expected = referenceLogits(checkpoint.spec, checkpoint.weights, tokens);
    const scale = Math.max(...expected.flatMap((row) => Array.from(row, Math.abs)));
    expect(maxLogitError(out?.logits as Float32Array, expected, checkpoint.spec.vocab)).toBeLessThan(TOLERANCE * scale);
  });
});

describe.skipIf(!native().cpuInfo().avx512Bf16)("BF16 matrices on the BF16 dot-product instruction", () => {
  it.each<[string, Partial<TinyModelSpec>]>([
    ["LLaDA", { dtype: "BF16", dim: 64, qkvBias: true }],
    ["Dream", { family: "dream", dtype: "BF16", dim: 64, kvHeads: 2 }],
    ["LLaDA-MoE", { ...TINY_MOE, dtype: "BF16" }],
  ])(
    "%s: the default where the CPU has it, within BF16 rounding of the activations of the reference",
    async (_, overrides) => {
      const checkpoint = writeCheckpoint({ ...overrides, seed: 91 });
      const { model } = await loadCheckpoint(checkpoint.dir, { threads: 2 });
      expect(model.info().bf16).toBe("dot");
      const [out] = await model.forward([{ tokens, statRows: allRows, wantLogits: true }]);
      const expected = referenceLogits(checkpoint.spec, checkpoint.weights, tokens);
      const scale = Math.max(...expected.flatMap((row) => Array.from(row, Math.abs)));
      const error = maxLogitError(out?.logits as Float32Array, expected, checkpoint.spec.vocab);
      // Rounding each activation to BF16 (8 significant bits) costs about 2^-9 of each product.
      expect(error).toBeLessThan(2e-2 * scale);
      expect(error).toBeGreaterThan(0); // it is the dot path, not the exact one
      const widened = await loadCheckpoint(checkpoint.dir, { threads: 2, bf16: "widen" });
      expect(widened.model.info().bf16).toBe("widen");
    },
  );
});

describe("one forward pass", () => {
  it("summarises only the rows asked for, and matches the logits it summarises", async () => {
    const checkpoint = writeCheckpoint({ seed: 3 });
    const { model } = await loadCheckpoint(checkpoint.dir);
    const statRows = Int32Array.from([3, 4, 6]);
    const [out] = await model.forward([{ tokens, statRows, wantLogits: true }]);
    const expected = referenceLogits(checkpoint.spec, checkpoint.weights, tokens);
    const vocab = checkpoint.spec.vocab;
    expect(out?.argmax).toHaveLength(3);
    const logits = out?.logits as Float32Array;
    statRows.forEach((row, i) => {
      const reference = expected[row] as Float64Array;
      const best = reference.indexOf(Math.max(...reference));
      expect(out?.argmax[i]).toBe(best);
      expect(maxLogitError(logits.subarray(i * vocab, (i + 1) * vocab), [reference], vocab)).toBeLessThan(1e-3);
    });
    const [statsOnly] = await model.forward([{ tokens, statRows }]);
    expect(statsOnly?.logits).toBeUndefined();
  });

  it("with suppressed tokens, confidence and entropy are those of the distribution without them", async () => {
    // Regression: a suppressed token's 0 · −∞ term made every entropy NaN, so Dream's entropy
    // sampler fell back to committing left to right.
    const checkpoint = writeCheckpoint({ seed: 5 });
    const { model } = await loadCheckpoint(checkpoint.dir);
    const statRows = Int32Array.from([2, 3]);
    const suppress = Int32Array.from([MASK_ID, 0, 7]);
    const [out] = await model.forward([{ tokens, statRows, sampling: { temperature: 0, suppress } }]);
    const expected = referenceLogits(checkpoint.spec, checkpoint.weights, tokens);
    statRows.forEach((row, i) => {
      const logits = Array.from(expected[row] as Float64Array, (v, token) =>
        suppress.includes(token) ? -Infinity : v,
      );
      const max = Math.max(...logits);
      const probabilities = logits.map((v) => Math.exp(v - max));
      const total = probabilities.reduce((a, b) => a + b, 0);
      const entropy = -probabilities.reduce((h, p) => (p > 0 ? h + (p / total) * Math.log(p / total) : h), 0);
      expect(out?.entropy[i]).toBeCloseTo(entropy, 4);
      expect(out?.confidence[i]).toBeCloseTo(1 / total, 5);
      expect(suppress).not.toContain(out?.argmax[i]);
    });
  });

  it("under allowed-token masks, each row's statistics and draws are over its allowed tokens only", async () => {
    const checkpoint = writeCheckpoint({ seed: 6 });
    const { model } = await loadCheckpoint(checkpoint.dir);
    const vocab = checkpoint.spec.vocab;
    const statRows = Int32Array.from([2, 3, 4]);
    // Mask 0 allows a few tokens, mask 1 a single one; row 4 is free.
    const allowed = new Uint8Array(2 * vocab);
    for (const token of [3, 40, 41, 99]) allowed[token] = 1;
    allowed[vocab + 17] = 1;
    const statMasks = Int32Array.from([0, 1, -1]);
    const expected = referenceLogits(checkpoint.spec, checkpoint.weights, tokens);
    for (const sampling of [{ temperature: 0 }, { temperature: 1.5, seed: 4 }]) {
      const [out] = await model.forward([{ tokens, statRows, statMasks, allowed, sampling, step: 1 }]);
      statRows.forEach((row, i) => {
        const mask = statMasks[i] as number;
        const logits = Array.from(expected[row] as Float64Array, (v, token) =>
          mask < 0 || allowed[mask * vocab + token] ? v : -Infinity,
        );
        const max = Math.max(...logits);
        const total = logits.reduce((sum, v) => sum + Math.exp(v - max), 0);
        expect(out?.argmax[i]).toBe(logits.indexOf(max));
        expect(out?.confidence[i]).toBeCloseTo(1 / total, 5);
        if (mask >= 0) expect(allowed[mask * vocab + (out?.sample[i] as number)]).toBe(1);
      });
      expect(out?.argmax[1]).toBe(17);
    }
  });

  it("a masked sequence batched with free ones gets the statistics it gets alone, and so do they", async () => {
    const checkpoint = writeCheckpoint({ seed: 7, kvHeads: 2 });
    const { model } = await loadCheckpoint(checkpoint.dir);
    const vocab = checkpoint.spec.vocab;
    const allowed = new Uint8Array(vocab);
    for (const token of [10, 11, 12]) allowed[token] = 1;
    const sampling = { temperature: 0.7, seed: 3 };
    const free = {
      tokens: Int32Array.from([5, 6, MASK_ID, MASK_ID]),
      statRows: Int32Array.from([2, 3]),
      sampling,
      step: 1,
    };
    const masked = {
      tokens: Int32Array.from([9, 8, 7, MASK_ID, MASK_ID]),
      statRows: Int32Array.from([3, 4]),
      statMasks: Int32Array.from([-1, 0]),
      allowed,
      sampling,
      step: 1,
    };
    const together = await model.forward([free, masked, free]);
    const alone = [
      ...(await model.forward([free])),
      ...(await model.forward([masked])),
      ...(await model.forward([free])),
    ];
    together.forEach((stats, i) => {
      expect(Array.from(stats.argmax)).toEqual(Array.from(alone[i]?.argmax ?? []));
      expect(Array.from(stats.sample)).toEqual(Array.from(alone[i]?.sample ?? []));
    });
    expect([10, 11, 12]).toContain(together[1]?.argmax[1]);
    expect([10, 11, 12]).toContain(together[1]?.sample[1]);
  });

  it("batches sequences of different lengths with the same results as one at a time", async () => {
    const checkpoint = writeCheckpoint({ seed: 4, kvHeads: 2 });
    const { model } = await loadCheckpoint(checkpoint.dir);
    const short = Int32Array.from([5, 6, MASK_ID]);
    const long = Int32Array.from([9, 8, 7, MASK_ID, MASK_ID, MASK_ID, 1]);
    const sampling = { temperature: 0.8, seed: 11 };
    const a = { tokens: short, statRows: Int32Array.from([1, 2]), sampling, step: 2 };
    const b = { tokens: long, statRows: Int32Array.from([2, 3, 4, 5]), sampling, step: 2 };
    const together = await model.forward([a, b]);
    const alone = [...(await model.forward([a])), ...(await model.forward([b]))];
    together.forEach((stats, i) => {
      expect(Array.from(stats.argmax)).toEqual(Array.from(alone[i]?.argmax ?? []));
      expect(Array.from(stats.sample)).toEqual(Array.from(alone[i]?.sample ?? []));
      stats.confidence.forEach((c, j) => {
        expect(c).toBeCloseTo(alone[i]?.confidence[j] as number, 5);
      });
    });
  });

  it("gives the same answer with 1, 2 and 3 threads", async () => {
    const checkpoint = writeCheckpoint({ seed: 5 });
    const one = await loadCheckpoint(checkpoint.dir, { threads: 1 });
    const two = await loadCheckpoint(checkpoint.dir, { threads: 2 });
    const three = await loadCheckpoint(checkpoint.dir, { threads: 3 });
    const sequence = { tokens, statRows: allRows, wantLogits: true };
    const [a] = await one.model.forward([sequence]);
    for (const other of [two, three]) {
      const [b] = await other.model.forward([sequence]);
      expect(
        maxLogitError(
          a?.logits as Float32Array,
          [Float64Array.from(b?.logits as Float32Array)],
          a?.logits?.length ?? 0,
        ),
      ).toBe(0);
    }
    expect(one.model.info().threads).toBe(1);
  });
});

describe("classifier-free guidance", () => {
  it("summarises l_u + (g + 1)(l_c − l_u) from one batched pass", async () => {
    const checkpoint = writeCheckpoint({ seed: 10 });
    const { model } = await loadCheckpoint(checkpoint.dir);
    const unconditional = Int32Array.from(tokens, (t, i) => (i < 3 ? MASK_ID : t));
    const statRows = Int32Array.from([3, 4]);
    const [guided] = await model.forward([{ tokens, statRows, guidance: 1.5, unconditional, wantLogits: true }]);
    const [cond] = await model.forward([{ tokens, statRows, wantLogits: true }]);
    const [uncond] = await model.forward([{ tokens: unconditional, statRows, wantLogits: true }]);
    const expected = Float64Array.from(
      cond?.logits as Float32Array,
      (l, i) => (uncond?.logits?.[i] as number) + 2.5 * (l - (uncond?.logits?.[i] as number)),
    );
    expect(maxLogitError(guided?.logits as Float32Array, [expected], expected.length)).toBeLessThan(1e-4);
    const best = expected
      .subarray(0, checkpoint.spec.vocab)
      .indexOf(Math.max(...expected.subarray(0, checkpoint.spec.vocab)));
    expect(guided?.argmax[0]).toBe(best);
  });

  it("refuses a cache or a mismatched unconditional canvas", async () => {
    const { model } = await loadCheckpoint(writeCheckpoint({ seed: 10 }).dir);
    const statRows = Int32Array.from([3]);
    const cache = model.createCache(tokens.length);
    await expect(model.forward([{ tokens, statRows, guidance: 1, unconditional: tokens, cache }])).rejects.toThrow(
      /without a KV cache/,
    );
    await expect(
      model.forward([{ tokens, statRows, guidance: 1, unconditional: Int32Array.from([1]) }]),
    ).rejects.toThrow(/must match/);
  });
});

describe("the KV cache", () => {
  it("recomputing some rows against cached keys equals the full pass when the canvas is unchanged", async () => {
    const checkpoint = writeCheckpoint({ seed: 6, kvHeads: 2 });
    const { model } = await loadCheckpoint(checkpoint.dir);
    const cache = model.createCache(tokens.length);
    const statRows = Int32Array.from([4, 5]);
    const [full] = await model.forward([{ tokens, statRows, cache, wantLogits: true }]);
    // prefix style: rows 3.. ; dual style: rows 3..6 only, keys after them from the cache
    const [prefix] = await model.forward([{ tokens, rowBegin: 3, statRows, cache, wantLogits: true }]);
    const [dual] = await model.forward([
      { tokens, rowBegin: 3, rowEnd: 6, attendLength: tokens.length, statRows, cache, wantLogits: true },
    ]);
    for (const partial of [prefix, dual]) {
      expect(
        maxLogitError(
          partial?.logits as Float32Array,
          [Float64Array.from(full?.logits as Float32Array)],
          full?.logits?.length ?? 0,
        ),
      ).toBeLessThan(1e-5);
    }
    expect(cache.capacity).toBe(tokens.length);
  });

  it("reuses stale keys outside the recomputed rows (that is the approximation)", async () => {
    const checkpoint = writeCheckpoint({ seed: 7 });
    const { model } = await loadCheckpoint(checkpoint.dir);
    const cache = model.createCache(tokens.length);
    const statRows = Int32Array.from([3]);
    await model.forward([{ tokens, statRows, cache }]);
    const changed = Int32Array.from(tokens);
    changed[8] = 17; // outside the recomputed rows: the cache still holds the old token's keys
    const [stale] = await model.forward([
      { tokens: changed, rowBegin: 3, rowEnd: 6, attendLength: tokens.length, statRows, cache, wantLogits: true },
    ]);
    const [fresh] = await model.forward([{ tokens: changed, statRows, wantLogits: true }]);
    const [old] = await model.forward([{ tokens, statRows, wantLogits: true }]);
    expect(
      maxLogitError(
        stale?.logits as Float32Array,
        [Float64Array.from(old?.logits as Float32Array)],
        old?.logits?.length ?? 0,
      ),
    ).toBeLessThan(1e-5);
    expect(
      maxLogitError(
        stale?.logits as Float32Array,
        [Float64Array.from(fresh?.logits as Float32Array)],
        fresh?.logits?.length ?? 0,
      ),
    ).toBeGreaterThan(1e-6);
  });
});

describe("bad forward input is rejected, never a crash", () => {
  it.each([
    [
      "a token outside the vocabulary",
      { tokens: Int32Array.from([1, 99999]), statRows: Int32Array.from([0]) },
      /outside the vocabulary/,
    ],
    [
      "a stats row outside the computed rows",
      { tokens: Int32Array.from([1, 2, 3]), rowBegin: 0, rowEnd: 3, statRows: Int32Array.from([5]) },
      /stats row/,
    ],
    [
      "partial rows without a cache",
      { tokens: Int32Array.from([1, 2, 3]), rowBegin: 1, statRows: Int32Array.from([1]) },
      /without a cache/,
    ],
    ["an empty canvas", { tokens: new Int32Array(0), statRows: new Int32Array(0) }, /no tokens/],
    [
      "a mask index past the masks given",
      {
        tokens: Int32Array.from([1, 2]),
        statRows: Int32Array.from([0]),
        statMasks: Int32Array.from([1]),
        allowed: new Uint8Array(DEFAULT_SPEC.vocab).fill(1),
      },
      /names a mask/,
    ],
    [
      "masks that are not whole vocabularies",
      {
        tokens: Int32Array.from([1, 2]),
        statRows: Int32Array.from([0]),
        statMasks: Int32Array.from([0]),
        allowed: new Uint8Array(7).fill(1),
      },
      /whole masks/,
    ],
    [
      "a mask that allows nothing",
      {
        tokens: Int32Array.from([1, 2]),
        statRows: Int32Array.from([0]),
        statMasks: Int32Array.from([0]),
        allowed: new Uint8Array(DEFAULT_SPEC.vocab),
      },
      /allows no token/,
    ],
    [
      "one mask index short",
      {
        tokens: Int32Array.from([1, 2]),
        statRows: Int32Array.from([0, 1]),
        statMasks: Int32Array.from([0]),
        allowed: new Uint8Array(DEFAULT_SPEC.vocab).fill(1),
      },
      /one mask per stats row/,
    ],
  ])("%s", async (_, sequence, message) => {
    const { model } = await loadCheckpoint(writeCheckpoint({ seed: 8 }).dir);
    await expect(model.forward([sequence])).rejects.toThrow(message);
  });

  it("wrong argument types throw TypeError", async () => {
    const { model } = await loadCheckpoint(writeCheckpoint({ seed: 8 }).dir);
    expect(() => model.forward([{ tokens: [1, 2] as unknown as Int32Array, statRows: new Int32Array(0) }])).toThrow(
      /Int32Array/,
    );
    expect(() => model.forward("nope" as never)).toThrow(TypeError);
    expect(() => model.createCache(-1)).toThrow(/positive capacity/);
    expect(() => model.createCache(2_000_000_000)).toThrow(); // ~750 GB: std::bad_alloc becomes an Error
    expect(() => model.forward([{ tokens, statRows: allRows, cache: {} as never }])).toThrow(/createCache/);
  });
});

describe("off the JavaScript thread", () => {
  it("timers keep firing while a forward pass runs", async () => {
    const { model } = await loadCheckpoint(writeCheckpoint({ seed: 9, dim: 128, ffn: 384, layers: 4 }).dir, {
      threads: 1,
    });
    const canvas = Int32Array.from({ length: 384 }, (_, i) => i % 256);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let finished = false;
    const pending = model
      .forward(Array.from({ length: 4 }, () => ({ tokens: canvas, statRows: Int32Array.from([0]) })))
      .then(() => {
        finished = true;
      });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The pass (four 384-token sequences on one thread) is still running, yet timers have fired.
    expect(finished).toBe(false);
    expect(ticks).toBeGreaterThan(0);
    await pending;
    clearInterval(timer);
  });
});
