// Each family decodes with its published sampler exactly as the reference sampler does at
// temperature 0 (test/support/reference-generate.ts, written from LLaDA's generate.py and Dream's
// generation_utils.py over the float64 reference forward): LLaDA (and LLaDA-1.5, which shares its
// architecture and generate.py), LLaDA-MoE, Dream (the sampler Dream-Coder and DiffuCoder publish),
// and the block-diffusion families SDAR, LLaDA2 and Fast-dLLM v2.
import { describe, expect, it } from "vitest";
import { generate, type LoadedCheckpoint, loadCheckpoint } from "../src/index";
import {
  referenceDreamGenerate,
  referenceFastDllmV2Generate,
  referenceLladaGenerate,
  referenceSdarGenerate,
} from "./support/reference-generate";
import {
  MASK_ID,
  TINY_FAST_DLLM_V2,
  TINY_LLADA2,
  TINY_MOE,
  TINY_SDAR,
  TINY_SDAR_MOE,
  type TinyModelSpec,
  writeCheckpoint,
} from "./support/write-checkpoint";

const prompt = [72, 101, 108, 108, 111, 44, 32, 119];

async function engineTokens(checkpoint: LoadedCheckpoint, options: Parameters<typeof generate>[2]): Promise<number[]> {
  const iterator = generate(checkpoint, prompt, { ...options, temperature: 0, earlyStop: false, stopIds: [] });
  for (;;) {
    const next = await iterator.next();
    if (next.done) return next.value.tokens;
  }
}

describe.each<[string, Partial<TinyModelSpec>]>([
  ["LLaDA", { seed: 61 }],
  ["LLaDA-MoE", { ...TINY_MOE, seed: 62 }],
])("%s: generate.py's low-confidence remasking, block by block", (_, overrides) => {
  it("commits the reference sampler's tokens in 12 steps over 3 blocks", async () => {
    const written = writeCheckpoint(overrides);
    const checkpoint = await loadCheckpoint(written.dir, { threads: 2 });
    const options = { maxTokens: 12, blockLength: 4, steps: 12 };
    const expected = referenceLladaGenerate(written.spec, written.weights, prompt, { ...options, maskId: MASK_ID });
    expect(await engineTokens(checkpoint, { ...options, sampler: "low_confidence" })).toEqual(expected);
  });

  it("and with two tokens a step (6 steps)", async () => {
    const written = writeCheckpoint({ ...overrides, seed: (overrides.seed ?? 1) + 100 });
    const checkpoint = await loadCheckpoint(written.dir, { threads: 2 });
    const options = { maxTokens: 12, blockLength: 4, steps: 6 };
    const expected = referenceLladaGenerate(written.spec, written.weights, prompt, { ...options, maskId: MASK_ID });
    expect(await engineTokens(checkpoint, { ...options, sampler: "low_confidence" })).toEqual(expected);
  });
});

describe("Dream: diffusion_generate's entropy order on one canvas, shifted logits", () => {
  it.each([10, 5])("commits the reference sampler's tokens in %i steps", async (steps) => {
    const written = writeCheckpoint({ family: "dream", kvHeads: 2, seed: 63 + steps });
    const checkpoint = await loadCheckpoint(written.dir, { threads: 2 });
    const expected = referenceDreamGenerate(written.spec, written.weights, prompt, {
      maxTokens: 10,
      steps,
      maskId: MASK_ID,
    });
    expect(await engineTokens(checkpoint, { maxTokens: 10, blockLength: 10, steps, sampler: "entropy" })).toEqual(
      expected,
    );
  });
});

describe("SDAR: generate.py's block decoding over the exact block cache", () => {
  // 8 prompt tokens: two whole blocks prefilled; 13 answer tokens run the canvas to 24 (six blocks).
  it.each([
    ["one token a step, threshold 0.85 (its defaults)", 4, 0.85],
    ["two a step at least, and every token above a low threshold", 2, 0.02],
  ])("commits the reference sampler's tokens: %s", async (_, stepsPerBlock, threshold) => {
    const written = writeCheckpoint({ ...TINY_SDAR, seed: 70 + stepsPerBlock });
    const checkpoint = await loadCheckpoint(written.dir, { threads: 2 });
    expect(checkpoint.architecture.blockSize).toBe(4);
    const maxTokens = 13;
    const expected = referenceSdarGenerate(written.spec, written.weights, prompt, {
      maxTokens,
      blockSize: 4,
      stepsPerBlock,
      threshold,
      maskId: MASK_ID,
    });
    const steps = Math.round((stepsPerBlock * maxTokens) / 4);
    expect(await engineTokens(checkpoint, { maxTokens, steps, threshold, sampler: "threshold_quota" })).toEqual(
      expected,
    );
  });

  it("its mixture-of-experts model decodes the same way, token for token", async () => {
    const written = writeCheckpoint({ ...TINY_SDAR_MOE, seed: 77 });
    const checkpoint = await loadCheckpoint(written.dir, { threads: 2 });
    expect(checkpoint.architecture.shape.moe?.normTopK).toBe(true);
    const expected = referenceSdarGenerate(written.spec, written.weights, prompt, {
      maxTokens: 12,
      blockSize: 4,
      stepsPerBlock: 4,
      threshold: 0.85,
      maskId: MASK_ID,
    });
    expect(
      await engineTokens(checkpoint, { maxTokens: 12, steps: 12, threshold: 0.85, sampler: "threshold_quota" }),
    ).toEqual(expected);
  });

  it("forwards only the current block: passes are the prefill, the steps, and one refresh per finished block", async () => {
    const written = writeCheckpoint({ ...TINY_SDAR, seed: 75 });
    const checkpoint = await loadCheckpoint(written.dir, { threads: 2 });
    const iterator = generate(checkpoint, prompt, {
      maxTokens: 8,
      steps: 8,
      temperature: 0,
      earlyStop: false,
      stopIds: [],
      sampler: "threshold_quota",
      threshold: 2, // never reached: exactly one token a step
    });
    let result: Awaited<ReturnType<typeof iterator.next>>;
    do result = await iterator.next();
    while (!result.done);
    // 1 prefill + 2 blocks × 4 steps + 1 refresh between them (none after the last)
    expect(result.value.forwardPasses).toBe(1 + 8 + 1);
  });
});

describe("LLaDA2: its generate's block decoding (blocks of 32, at least one a step, every one above 0.95)", () => {
  it("commits the reference sampler's tokens over the prompt's block and the next", async () => {
    const written = writeCheckpoint({ ...TINY_LLADA2, seed: 87 });
    const checkpoint = await loadCheckpoint(written.dir, { threads: 2 });
    expect(checkpoint.variant.name).toBe("LLaDA2.0");
    expect(checkpoint.variant.decoding).toMatchObject({ sampler: "threshold_quota", threshold: 0.95, temperature: 0 });
    const maxTokens = 40; // a canvas of 64: the prompt's block and the next
    // Its generate is SDAR's, with its own block size and threshold (modeling_llada2_moe.py, generate).
    const expected = referenceSdarGenerate(written.spec, written.weights, prompt, {
      maxTokens,
      blockSize: 32,
      stepsPerBlock: 32,
      threshold: 0.95,
      maskId: MASK_ID,
    });
    // steps = one per position: 32 a block, as its generate's steps = block_length
    expect(
      await engineTokens(checkpoint, { maxTokens, steps: maxTokens, threshold: 0.95, sampler: "threshold_quota" }),
    ).toEqual(expected);
  });
});

describe("Fast-dLLM v2: its generate's sub-blocks over the exact block cache, shifted logits", () => {
  // Blocks of 16 in two sub-blocks of 8; 32 answer tokens (two blocks). A 40-token prompt ends inside
  // its third block; a 32-token one on a boundary, so its first answer token is read from the prefill
  // (two whole blocks, block-causal).
  it.each([
    ["a prompt ending inside a block, one token a step", 40, 1],
    ["a prompt ending on a block boundary, every token above a low threshold", 32, 0.02],
  ])("commits the reference sampler's tokens: %s", async (_, promptLength, threshold) => {
    const written = writeCheckpoint({ ...TINY_FAST_DLLM_V2, seed: 90 + promptLength });
    const checkpoint = await loadCheckpoint(written.dir, { threads: 2 });
    expect([checkpoint.architecture.blockSize, checkpoint.architecture.subBlockSize]).toEqual([16, 8]);
    const longPrompt = Array.from({ length: promptLength }, (_, i) => 40 + ((i * 7) % 80));
    const expected = referenceFastDllmV2Generate(written.spec, written.weights, longPrompt, {
      maxTokens: 32,
      blockSize: 16,
      subBlockSize: 8,
      threshold,
      maskId: MASK_ID,
    });
    const iterator = generate(checkpoint, longPrompt, {
      maxTokens: 32,
      threshold,
      sampler: "threshold",
      temperature: 0,
      earlyStop: false,
      stopIds: [],
    });
    let next = await iterator.next();
    while (!next.done) next = await iterator.next();
    expect(next.value.tokens).toEqual(expected);
  });
});
