// LLaDA2.0 (BailingMoeV2's layout, block diffusion) in the CPU engine: tiny random checkpoints with
// its published config keys and tensor names (fused query_key_value, query/key layernorms, a sigmoid
// router over groups of experts with shared experts), held to the float64 reference written from
// modeling_llada2_moe.py with its block-causal mask, and read and written as GGUF in llama.cpp's
// llada2 layout. (Its generate's decoding is held to the reference sampler in family-generation.test.ts.)
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readArchitecture } from "../src/checkpoint/architecture";
import { bytesPerElement, readGguf } from "../src/checkpoint/gguf";
import { readGgufCheckpoint } from "../src/checkpoint/gguf-checkpoint";
import { exportGguf } from "../src/checkpoint/gguf-export";
import { readTensorValues } from "../src/checkpoint/safetensors";
import { CheckpointError } from "../src/errors";
import { type LoadedCheckpoint, loadCheckpoint } from "../src/index";
import { native } from "../src/native";
import { maxLogitError } from "./support/compare";
import { referenceLogits } from "./support/reference-model";
import {
  MASK_ID,
  shapeOf,
  TINY_LLADA2,
  type TinyModelSpec,
  type Weights,
  writeCheckpoint,
} from "./support/write-checkpoint";

const TOLERANCE = 1e-4;
const BLOCK = 32;
// 45 positions: a whole block of 32 and a partial one, some of them masks.
const tokens = Int32Array.from({ length: 45 }, (_, i) => (i % 7 === 3 ? MASK_ID : (i * 37 + 11) % 256));
const allRows = Int32Array.from(tokens.keys());

async function forwardLogits(checkpoint: LoadedCheckpoint): Promise<Float32Array> {
  const [out] = await checkpoint.model.forward([
    { tokens, statRows: allRows, wantLogits: true, blockSize: checkpoint.architecture.blockSize },
  ]);
  return out?.logits as Float32Array;
}

function largest(rows: Float64Array[]): number {
  return Math.max(...rows.flatMap((row) => Array.from(row, Math.abs)));
}

describe("LLaDA2 (BailingMoeV2's layout) in the CPU engine", () => {
  it("is read from its published config keys: partial rotary, grouped sigmoid routing, dense first layer, blocks of 32", async () => {
    const written = writeCheckpoint({ ...TINY_LLADA2, seed: 81 });
    const config = JSON.parse(readFileSync(join(written.dir, "config.json"), "utf8"));
    expect(config).toMatchObject({
      architectures: ["LLaDA2MoeModelLM"],
      partial_rotary_factor: 0.5,
      n_group: 4,
      topk_group: 2,
      routed_scaling_factor: 2.5,
      first_k_dense_replace: 1,
      num_shared_experts: 1,
    });
    const { architecture } = await loadCheckpoint(written.dir, { threads: 2 });
    expect(architecture.family).toBe("llada2");
    expect(architecture.blockSize).toBe(BLOCK);
    expect(architecture.shape).toEqual(shapeOf(written.spec));
    // q, k and v are row ranges of the one fused tensor
    expect(architecture.tensorNames.get("layers.1.k")).toEqual({
      name: "model.layers.1.attention.query_key_value.weight",
      rows: { begin: 64, end: 96, of: 128 },
    });
  });

  it.each<[string, Partial<TinyModelSpec>]>([
    ["F32", { seed: 82 }],
    ["BF16, tied embeddings", { dtype: "BF16", tied: true, seed: 83 }],
  ])("%s: the forward matches the reference with its block-causal mask at every position", async (_, overrides) => {
    const written = writeCheckpoint({ ...TINY_LLADA2, ...overrides });
    const checkpoint = await loadCheckpoint(written.dir, { threads: 2, bf16: "widen" });
    const logits = await forwardLogits(checkpoint);
    const expected = referenceLogits(written.spec, written.weights, tokens, { blockSize: BLOCK });
    expect(maxLogitError(logits, expected, written.spec.vocab)).toBeLessThan(TOLERANCE * largest(expected));
  });

  it("each of its differences from the other families changes the logits (so the match above tests them)", async () => {
    const written = writeCheckpoint({ ...TINY_LLADA2, seed: 84 });
    const checkpoint = await loadCheckpoint(written.dir, { threads: 2 });
    const logits = await forwardLogits(checkpoint);
    const moe = written.spec.moe as NonNullable<TinyModelSpec["moe"]>;
    const differently = (change: Partial<TinyModelSpec>) => {
      const expected = referenceLogits({ ...written.spec, ...change }, written.weights, tokens, { blockSize: BLOCK });
      return maxLogitError(logits, expected, written.spec.vocab) / largest(expected);
    };
    expect(differently({ ropeDim: undefined })).toBeGreaterThan(10 * TOLERANCE); // whole heads rotated
    expect(differently({ moe: { ...moe, groupsKept: moe.groups } })).toBeGreaterThan(10 * TOLERANCE); // every group
    expect(differently({ moe: { ...moe, routedScale: 1 } })).toBeGreaterThan(10 * TOLERANCE);
    expect(differently({ moe: { ...moe, router: "softmax" } })).toBeGreaterThan(10 * TOLERANCE);
  });

  it("the exact block cache: the prompt's block once, then the next block alone, equals recomputing everything", async () => {
    const written = writeCheckpoint({ ...TINY_LLADA2, seed: 85 });
    const { model } = await loadCheckpoint(written.dir, { threads: 2 });
    const whole = await model.forward([{ tokens, statRows: allRows, wantLogits: true, blockSize: BLOCK }]);
    const cache = model.createCache(tokens.length);
    await model.forward([
      { tokens, rowBegin: 0, rowEnd: BLOCK, attendLength: BLOCK, cache, blockSize: BLOCK, statRows: new Int32Array(0) },
    ]);
    const tail = Int32Array.from({ length: tokens.length - BLOCK }, (_, i) => BLOCK + i);
    const [cached] = await model.forward([
      {
        tokens,
        rowBegin: BLOCK,
        rowEnd: tokens.length,
        attendLength: tokens.length,
        cache,
        blockSize: BLOCK,
        statRows: tail,
        wantLogits: true,
      },
    ]);
    const wholeLogits = whole[0]?.logits as Float32Array;
    const expected = wholeLogits.subarray(BLOCK * written.spec.vocab);
    const got = cached?.logits as Float32Array;
    let worst = 0;
    for (let i = 0; i < expected.length; i++)
      worst = Math.max(worst, Math.abs((expected[i] as number) - (got[i] as number)));
    expect(worst).toBeLessThan(1e-5);
  });

  it("sequences at different blocks share one pass (a prefill beside a block over its cache): each gives what it gives alone", async () => {
    const written = writeCheckpoint({ ...TINY_LLADA2, seed: 93 });
    const { model } = await loadCheckpoint(written.dir, { threads: 2 });
    const other = Int32Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? MASK_ID : (i * 11 + 3) % 256));
    const prefillOf = (canvas: Int32Array) => ({
      tokens: canvas,
      rowBegin: 0,
      rowEnd: BLOCK,
      attendLength: BLOCK,
      blockSize: BLOCK,
      statRows: Int32Array.from([0, 31]),
      wantLogits: true,
    });
    const blockOf = (canvas: Int32Array) => ({
      tokens: canvas,
      rowBegin: BLOCK,
      rowEnd: canvas.length,
      attendLength: canvas.length,
      blockSize: BLOCK,
      statRows: Int32Array.from({ length: canvas.length - BLOCK }, (_, i) => BLOCK + i),
      wantLogits: true,
    });
    // alone: the other canvas's prefill, then its second block; this canvas's prefill
    const aloneCache = model.createCache(other.length);
    await model.forward([{ ...prefillOf(other), cache: aloneCache }]);
    const [aloneBlock] = await model.forward([{ ...blockOf(other), cache: aloneCache }]);
    const [alonePrefill] = await model.forward([{ ...prefillOf(tokens), cache: model.createCache(tokens.length) }]);
    // together: the other canvas's second block and this canvas's prefill in one pass
    const otherCache = model.createCache(other.length);
    await model.forward([{ ...prefillOf(other), cache: otherCache }]);
    const [togetherBlock, togetherPrefill] = await model.forward([
      { ...blockOf(other), cache: otherCache },
      { ...prefillOf(tokens), cache: model.createCache(tokens.length) },
    ]);
    expect(Array.from(togetherBlock?.logits ?? [])).toEqual(Array.from(aloneBlock?.logits ?? []));
    expect(Array.from(togetherPrefill?.logits ?? [])).toEqual(Array.from(alonePrefill?.logits ?? []));
  });

  it("quantized to Q8_0 at load (the fused q|k|v quantized row range by row range): logits near the reference", async () => {
    // Every layer dense: a sigmoid router's near ties flip some rows' experts under quantization,
    // which is right but not near; the mixture's rows are checked below.
    const moe = TINY_LLADA2.moe as NonNullable<TinyModelSpec["moe"]>;
    const dense = writeCheckpoint({ ...TINY_LLADA2, moe: { ...moe, layers: [false, false, false] }, seed: 86 });
    const expected = referenceLogits(dense.spec, dense.weights, tokens, { blockSize: BLOCK });
    const quantized = await loadCheckpoint(dense.dir, { threads: 2, quantize: "q8_0" });
    expect(maxLogitError(await forwardLogits(quantized), expected, dense.spec.vocab)).toBeLessThan(
      0.05 * largest(expected),
    );
    const mixture = writeCheckpoint({ ...TINY_LLADA2, seed: 86 });
    const reference = referenceLogits(mixture.spec, mixture.weights, tokens, { blockSize: BLOCK });
    const logits = await forwardLogits(await loadCheckpoint(mixture.dir, { threads: 2, quantize: "q8_0" }));
    const vocab = mixture.spec.vocab;
    const near = reference.filter(
      (row, r) => maxLogitError(logits.subarray(r * vocab, (r + 1) * vocab), [row], vocab) < 0.05 * largest(reference),
    );
    expect(near.length).toBeGreaterThanOrEqual(0.85 * reference.length);
  });

  it("as a GGUF file in llama.cpp's llada2 layout: q|k|v fused in attn_qkv, the routing in the metadata, the same logits", async () => {
    const written = writeCheckpoint({ ...TINY_LLADA2, seed: 91 });
    const scratch = mkdtempSync(join(tmpdir(), "anneal-llada2-gguf-"));
    const out = join(scratch, "llada2.gguf");
    exportGguf(written.dir, out, "f32");
    const gguf = readGguf(out);
    expect(gguf.metadata.get("general.architecture")).toBe("llada2");
    expect(gguf.tensors.get("blk.1.attn_qkv.weight")?.shape).toEqual([128, 64]); // 4 q heads + 2 k + 2 v, of 16
    expect(gguf.tensors.has("blk.1.attn_q.weight")).toBe(false);
    expect(gguf.tensors.get("blk.1.exp_probs_b.bias")?.shape).toEqual([8]);
    expect(gguf.tensors.get("blk.1.ffn_gate_shexp.weight")?.shape).toEqual([32, 64]);
    for (const [key, value] of [
      ["llada2.rope.dimension_count", 8],
      ["llada2.expert_gating_func", 2],
      ["llada2.expert_group_count", 4],
      ["llada2.expert_group_used_count", 2],
      ["llada2.leading_dense_block_count", 1],
    ] as const) {
      expect(gguf.metadata.get(key)).toBe(value);
    }
    expect(gguf.metadata.get("llada2.expert_weights_scale")).toBeCloseTo(2.5);
    const fromFolder = await loadCheckpoint(written.dir, { threads: 2 });
    const fromGguf = await loadCheckpoint(out, { threads: 2 });
    expect(fromGguf.architecture.family).toBe("llada2");
    expect(fromGguf.architecture.blockSize).toBe(BLOCK);
    // (eps is stored as an f32 in GGUF metadata)
    const { shape } = fromFolder.architecture;
    expect(fromGguf.architecture.shape).toEqual({ ...shape, eps: expect.closeTo(shape.eps, 10) });
    expect(Array.from(await forwardLogits(fromGguf))).toEqual(Array.from(await forwardLogits(fromFolder)));

    // Q8_0: the fused tensor quantized row by row, so its q, k and v ranges are whole rows of blocks
    const q8 = join(scratch, "llada2-q8.gguf");
    exportGguf(written.dir, q8, "q8_0");
    expect(readGguf(q8).tensors.get("blk.0.attn_qkv.weight")?.dtype).toBe("Q8_0");
    const quantized = await loadCheckpoint(q8, { threads: 2 });
    const atLoad = await loadCheckpoint(written.dir, { threads: 2, quantize: "q8_0" });
    expect(Array.from(await forwardLogits(quantized))).toEqual(Array.from(await forwardLogits(atLoad)));
  });

  it("as llama.cpp's Q4_K_M: attn_qkv in Q5_K (as its quantizer writes it) loads, its logits those of the file's weights", async () => {
    // Every layer dense, so that no near tie of the router turns a quantization error into another expert.
    const moe = TINY_LLADA2.moe as NonNullable<TinyModelSpec["moe"]>;
    const dense = writeCheckpoint({
      ...TINY_LLADA2,
      dim: 256, // whole K-quant super-blocks
      moe: { ...moe, layers: [false, false, false] },
      seed: 92,
    });
    const file = join(mkdtempSync(join(tmpdir(), "anneal-llada2-gguf-")), "llada2-q4_k_m.gguf");
    exportGguf(dense.dir, file, "q4_k_m");
    expect(readGguf(file).tensors.get("blk.0.attn_qkv.weight")?.dtype).toBe("Q5_K");
    const quantized = await loadCheckpoint(file, { threads: 2 });
    expect(quantized.model.info().weights).toMatch(/Q5_K/);
    // The reference forward over the file's own weights, dequantized where the loader says they are:
    // only the int8 rounding of the activations (in blocks of 256 for the K-quants) separates them.
    const bytes = readFileSync(file);
    const stored: Weights = new Map();
    for (const [key, tensor] of Object.entries(readGgufCheckpoint(file, () => {}).weights.tensors)) {
      const count = tensor.shape.reduce((a, b) => a * b, 1);
      const data = bytes.subarray(tensor.offset, tensor.offset + count * bytesPerElement(tensor.dtype));
      const values =
        tensor.dtype === "F32" || tensor.dtype === "F16" || tensor.dtype === "BF16"
          ? readTensorValues({ ...tensor, file, bytes: data.length, dtype: tensor.dtype })
          : native().kernels.dequantize(data, tensor.dtype, count);
      stored.set(key, { values, shape: tensor.shape });
    }
    const expected = referenceLogits(dense.spec, stored, tokens, { blockSize: BLOCK });
    expect(maxLogitError(await forwardLogits(quantized), expected, dense.spec.vocab)).toBeLessThan(
      0.05 * largest(expected),
    );
  });

  it("refuses what the published config allows but the engine does not, naming the key", () => {
    const written = writeCheckpoint({ ...TINY_LLADA2, seed: 88 });
    const config = JSON.parse(readFileSync(join(written.dir, "config.json"), "utf8"));
    const read = (change: Record<string, unknown>) => () => readArchitecture({ ...config, ...change }, "config.json");
    const { use_bias: _, ...withoutUseBias } = config;
    expect(() => readArchitecture(withoutUseBias, "config.json")).toThrow(
      /use_bias undefined: a bias on attention.dense/,
    );
    expect(read({ use_bias: true })).toThrow(/use_bias true/);
    expect(read({ use_qkv_bias: true })).toThrow(/use_qkv_bias true/);
    expect(read({ score_function: "softmax" })).toThrow(/score_function "softmax"/);
    expect(read({ norm_head: true })).toThrow(/norm_head true/);
    expect(read({ rope_scaling: { type: "yarn", factor: 4 } })).toThrow(/rope_scaling .*scaled RoPE/);
    expect(read({ partial_rotary_factor: 0.35 })).toThrow(/partial_rotary_factor 0.35 must turn an even number/);
    expect(read({ n_group: 3 })).toThrow(/n_group 3 does not split num_experts 8/);
    expect(read({ topk_group: 1, num_experts_per_tok: 3 })).toThrow(/topk_group 1 of n_group 4 leaves fewer/);
    expect(read({ first_k_dense_replace: 4 })).toThrow(/first_k_dense_replace 4 must be 0 to 3/);
    expect(read({ num_experts: 0 })).toThrow(CheckpointError);
    expect(read({ partial_rotary_factor: 1 })).not.toThrow();
  });

  it("a fused query_key_value of the wrong height is an error naming the tensor and the expected shape", async () => {
    const written = writeCheckpoint({ ...TINY_LLADA2, seed: 89 });
    const config = JSON.parse(readFileSync(join(written.dir, "config.json"), "utf8"));
    writeFileSync(join(written.dir, "config.json"), JSON.stringify({ ...config, num_key_value_heads: 4 }));
    await expect(loadCheckpoint(written.dir, { threads: 2 })).rejects.toThrow(
      /tensor model.layers.0.attention.query_key_value.weight has shape \[128,64\], expected \[192,64\]/,
    );
  });

  it("the trainer refuses partial rotary embeddings rather than rotating whole heads", async () => {
    const shape = { ...shapeOf({ ...writeCheckpoint({ seed: 90 }).spec }), ropeDim: 6 };
    await expect(native().createTrainer(shape, { seed: 1 })).rejects.toThrow(/partial rotary/);
  });
});
