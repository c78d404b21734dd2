// Block-causal attention (block-diffusion models: SDAR, Fast-dLLM v2, LLaDA2): bidirectional inside
// a block, causal across blocks. The engine against the float64 reference with that mask, and the
// exact block KV cache: finished blocks' keys and values computed once, each step forwarding only the
// current block, giving the logits a recomputation of everything gives.
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../src/index";
import { maxLogitError } from "./support/compare";
import { referenceLogits } from "./support/reference-model";
import {
  MASK_ID,
  TINY_FAST_DLLM_V2,
  TINY_MOE,
  TINY_SDAR,
  TINY_SDAR_MOE,
  type TinyModelSpec,
  writeCheckpoint,
} from "./support/write-checkpoint";

// 13 positions in blocks of 4: three whole blocks and a partial one.
const tokens = Int32Array.from([1, 72, 101, 5, 9, MASK_ID, 108, MASK_ID, 33, 200, MASK_ID, MASK_ID, 7]);
const BLOCK = 4;
const allRows = Int32Array.from(tokens.keys());
const TOLERANCE = 1e-4;

describe.each<[string, Partial<TinyModelSpec>]>([
  ["LLaDA layout, F32", {}],
  ["Qwen layout (Dream's), BF16, GQA, q/k/v bias", { family: "dream", dtype: "BF16", kvHeads: 2, seed: 12 }],
  ["per-head q/k norms (as SDAR's Qwen3 layout has), mixture layers", { ...TINY_MOE, seed: 13 }],
])("block-causal attention, %s", (_, overrides) => {
  it("matches the reference with the block-causal mask at every position", async () => {
    const checkpoint = writeCheckpoint(overrides);
    const { model } = await loadCheckpoint(checkpoint.dir, { threads: 2, bf16: "widen" });
    const [out] = await model.forward([{ tokens, statRows: allRows, wantLogits: true, blockSize: BLOCK }]);
    const expected = referenceLogits(checkpoint.spec, checkpoint.weights, tokens, { blockSize: BLOCK });
    const scale = Math.max(...expected.flatMap((row) => Array.from(row, Math.abs)));
    expect(maxLogitError(out?.logits as Float32Array, expected, checkpoint.spec.vocab)).toBeLessThan(TOLERANCE * scale);
    // and it is not the bidirectional answer
    const bidirectional = referenceLogits(checkpoint.spec, checkpoint.weights, tokens);
    expect(maxLogitError(out?.logits as Float32Array, bidirectional, checkpoint.spec.vocab)).toBeGreaterThan(
      TOLERANCE * scale,
    );
  });
});

describe("SDAR (Qwen3's layout, block diffusion)", () => {
  it.each<[string, Partial<TinyModelSpec>]>([
    ["F32, GQA", { ...TINY_SDAR, seed: 31 }],
    [
      "BF16, head_dim 16 beside dim / heads 12, tied embeddings",
      { ...TINY_SDAR, dtype: "BF16", headDim: 16, tied: true, seed: 32 },
    ],
    ["its mixture of experts (SDARMoeForCausalLM): top-2 of 4, renormalised", { ...TINY_SDAR_MOE, seed: 34 }],
  ])(
    "%s: read from its config (block size 4), the forward matches the reference with SDAR's mask",
    async (_, overrides) => {
      const written = writeCheckpoint(overrides);
      const loaded = await loadCheckpoint(written.dir, { threads: 2, bf16: "widen" });
      expect(loaded.architecture.family).toBe("sdar");
      expect(loaded.architecture.blockSize).toBe(BLOCK);
      const [out] = await loaded.model.forward([
        { tokens, statRows: allRows, wantLogits: true, blockSize: loaded.architecture.blockSize },
      ]);
      const expected = referenceLogits(written.spec, written.weights, tokens, { blockSize: BLOCK });
      const scale = Math.max(...expected.flatMap((row) => Array.from(row, Math.abs)));
      expect(maxLogitError(out?.logits as Float32Array, expected, written.spec.vocab)).toBeLessThan(TOLERANCE * scale);
    },
  );
});

describe("Fast-dLLM v2 (Qwen2.5's layout, block diffusion)", () => {
  it("read from its config (bd_size 16, sub-blocks of 8), the forward matches the reference with the block-causal mask", async () => {
    const written = writeCheckpoint({ ...TINY_FAST_DLLM_V2, seed: 33 });
    const loaded = await loadCheckpoint(written.dir, { threads: 2 });
    expect([loaded.architecture.family, loaded.architecture.blockSize, loaded.architecture.subBlockSize]).toEqual([
      "fast-dllm-v2",
      16,
      8,
    ]);
    expect(loaded.architecture.shiftLogits).toBe(true);
    const long = Int32Array.from({ length: 37 }, (_, i) => (i % 5 === 0 ? MASK_ID : 30 + i));
    const [out] = await loaded.model.forward([
      { tokens: long, statRows: Int32Array.from(long.keys()), wantLogits: true, blockSize: 16 },
    ]);
    const expected = referenceLogits(written.spec, written.weights, long, { blockSize: 16 });
    const scale = Math.max(...expected.flatMap((row) => Array.from(row, Math.abs)));
    expect(maxLogitError(out?.logits as Float32Array, expected, written.spec.vocab)).toBeLessThan(TOLERANCE * scale);
  });
});

describe("block-causal attention", () => {
  it("a later block never changes an earlier block's logits", async () => {
    const checkpoint = writeCheckpoint({ seed: 21 });
    const { model } = await loadCheckpoint(checkpoint.dir);
    const changed = Int32Array.from(tokens);
    changed[9] = 17; // in the third block
    const [before] = await model.forward([{ tokens, statRows: allRows, wantLogits: true, blockSize: BLOCK }]);
    const [after] = await model.forward([{ tokens: changed, statRows: allRows, wantLogits: true, blockSize: BLOCK }]);
    const vocab = checkpoint.spec.vocab;
    const rows = (logits: Float32Array | undefined, from: number, to: number) =>
      (logits as Float32Array).subarray(from * vocab, to * vocab);
    expect(rows(after?.logits, 0, 8)).toEqual(rows(before?.logits, 0, 8));
    expect(
      maxLogitError(rows(after?.logits, 8, 12), [Float64Array.from(rows(before?.logits, 8, 12))], 4 * vocab),
    ).toBeGreaterThan(0);
  });

  it("a block size covering the canvas is bidirectional attention", async () => {
    const checkpoint = writeCheckpoint({ seed: 22 });
    const { model } = await loadCheckpoint(checkpoint.dir);
    const [whole] = await model.forward([{ tokens, statRows: allRows, wantLogits: true, blockSize: 64 }]);
    const [plain] = await model.forward([{ tokens, statRows: allRows, wantLogits: true }]);
    expect(whole?.logits).toEqual(plain?.logits);
  });

  it("the exact block cache: prefill once, then each block alone over the cache, equals recomputing everything", async () => {
    const checkpoint = writeCheckpoint({ seed: 23, kvHeads: 2 });
    const { model } = await loadCheckpoint(checkpoint.dir);
    const vocab = checkpoint.spec.vocab;
    const [full] = await model.forward([{ tokens, statRows: allRows, wantLogits: true, blockSize: BLOCK }]);
    const cache = model.createCache(tokens.length);
    // The first two blocks in one pass (the prompt's whole blocks), then blocks 3 and 4 one at a time.
    const [prefill] = await model.forward([
      {
        tokens,
        rowBegin: 0,
        rowEnd: 8,
        attendLength: 8,
        cache,
        blockSize: BLOCK,
        statRows: Int32Array.from([0, 7]),
        wantLogits: true,
      },
    ]);
    const pieces = [[0, prefill?.logits]] as [number, Float32Array | undefined][];
    for (const begin of [8, 12]) {
      const end = Math.min(begin + BLOCK, tokens.length);
      const statRows = Int32Array.from({ length: end - begin }, (_, i) => begin + i);
      const [step] = await model.forward([
        {
          tokens,
          rowBegin: begin,
          rowEnd: end,
          attendLength: end,
          cache,
          blockSize: BLOCK,
          statRows,
          wantLogits: true,
        },
      ]);
      pieces.push([begin, step?.logits]);
    }
    const fullLogits = full?.logits as Float32Array;
    const expectRows = (logits: Float32Array | undefined, rows: number[]) => {
      const wanted = rows.map((r) => Float64Array.from(fullLogits.subarray(r * vocab, (r + 1) * vocab)));
      expect(maxLogitError(logits as Float32Array, wanted, vocab)).toBeLessThan(1e-5);
    };
    expectRows(pieces[0]?.[1], [0, 7]);
    expectRows(pieces[1]?.[1], [8, 9, 10, 11]);
    expectRows(pieces[2]?.[1], [12]);
  });

  it("a negative block size is refused with a clear error", async () => {
    const { model } = await loadCheckpoint(writeCheckpoint({ seed: 24 }).dir);
    await expect(model.forward([{ tokens, statRows: allRows, blockSize: -1 }])).rejects.toThrow(/blockSize/);
  });
});
