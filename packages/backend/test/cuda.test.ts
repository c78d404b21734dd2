// The CUDA engine. Everywhere: it is built when a toolkit is found, and without a GPU every CUDA
// call fails with a clear error while "auto" falls back to the CPU. With a GPU: each kernel against
// its CPU twin at odd sizes, and whole models (random LLaDA, Dream, LLaDA-MoE and LLaDA2 checkpoints,
// the built-in model) against the CPU engine.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readCheckpointFolder } from "../src/checkpoint/load";
import { defaultModelDir, loadCheckpoint, native } from "../src/index";
import { MASK_ID, roundToBf16, TINY_LLADA2, TINY_MOE, writeCheckpoint } from "./support/write-checkpoint";

const addon = native();
const cuda = addon.cudaInfo();
const gpu = cuda.devices > 0 && cuda.computeCapability >= 80;
const skipReason = cuda.built
  ? `no usable GPU (${cuda.devices > 0 ? `compute capability ${cuda.computeCapability}` : cuda.error})`
  : "this build has no CUDA kernels";
if (!gpu) console.info(`CUDA tests skipped: ${skipReason}`);

/** Deterministic values in [-scale, scale). */
function values(n: number, seed: number, scale = 1): Float32Array {
  let state = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2 * scale;
  });
}
function bf16(v: Float32Array): Float32Array {
  const copy = Float32Array.from(v);
  roundToBf16(copy);
  return copy;
}
/** Largest |a − b| relative to the largest |b|. */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  expect(actual).toHaveLength(expected.length);
  let worst = 0;
  let scale = 1e-12;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  return worst / scale;
}

describe("the CUDA build, on any machine", () => {
  it("reports whether it was built (as the build configured it) and whether a GPU answers, without throwing", () => {
    // The addon's compile flags say whether CMake configured the CUDA engine into it.
    const flags = readFileSync(
      fileURLToPath(new URL("../native/build/CMakeFiles/anneal.dir/flags.make", import.meta.url)),
      "utf8",
    );
    expect(cuda.built).toBe(flags.includes("ANNEAL_WITH_CUDA"));
    expect(cuda.devices).toBeGreaterThanOrEqual(0);
    if (cuda.devices === 0) expect(cuda.error).not.toBe("");
  });

  it.skipIf(gpu)("without a GPU: 'cuda' fails with a clear error, 'auto' runs on the CPU", async () => {
    const checkpoint = writeCheckpoint({ seed: 11 });
    await expect(loadCheckpoint(checkpoint.dir, { device: "cuda" })).rejects.toThrow(/CUDA|GPU|device/i);
    const { model } = await loadCheckpoint(checkpoint.dir, { device: "auto", threads: 1 });
    expect(model.info().device).toBe("cpu");
    const [out] = await model.forward([{ tokens: Int32Array.from([1, 2, MASK_ID]), statRows: Int32Array.from([2]) }]);
    expect(out?.argmax).toHaveLength(1);
    await expect(addon.createRandomModel(shapeOf(checkpoint), 1)).rejects.toThrow(/CUDA|GPU|device/i);
    if (addon.cudaKernels) {
      expect(() => addon.cudaKernels?.siluMul(new Float32Array(3), new Float32Array(3))).toThrow(/CUDA/);
    }
  });
});

function shapeOf(checkpoint: ReturnType<typeof writeCheckpoint>) {
  const s = checkpoint.spec;
  return {
    vocab: s.vocab,
    dim: s.dim,
    layers: s.layers,
    heads: s.heads,
    kvHeads: s.kvHeads,
    headDim: s.dim / s.heads,
    ffn: s.ffn,
    eps: s.eps,
    ropeTheta: s.ropeTheta,
    qkvBias: s.qkvBias,
    tiedEmbeddings: s.tied,
  };
}

describe.skipIf(!gpu)(gpu ? `CUDA kernels on ${cuda.name}` : `CUDA kernels: skipped, ${skipReason}`, () => {
  const k = addon.cudaKernels as NonNullable<typeof addon.cudaKernels>;
  const backends = cuda.cublas ? (["wmma", "cublas"] as const) : (["wmma"] as const);

  it.each([
    [1, 1, 1],
    [37, 45, 29],
    [32, 96, 64],
    [70, 130, 64],
    [129, 67, 136],
  ])("gemm %i×%i×%i matches the CPU product of the same BF16 inputs", (m, n, kk) => {
    const x = bf16(values(m * kk, m + 1)),
      w = bf16(values(n * kk, n + 2)),
      bias = values(n, 3);
    const expected = addon.kernels.gemm(x, m, w, n, kk, bias);
    const start = values(m * n, 4);
    const accumulated = Float32Array.from(expected, (v, i) => v + (start[i] as number));
    for (const backend of backends) {
      expect(relativeError(k.gemm(x, w, bias, null, m, n, kk, false, backend), expected)).toBeLessThan(1e-4);
      expect(relativeError(k.gemm(x, w, bias, start, m, n, kk, true, backend), accumulated)).toBeLessThan(1e-4);
    }
  });

  it("rmsNorm matches the CPU to BF16 precision", () => {
    const rows = 5,
      dim = 77;
    const x = values(rows * dim, 5, 3),
      weight = values(dim, 6);
    const expected = addon.kernels.rmsNorm(x, weight, rows, dim, 1e-5);
    expect(relativeError(k.rmsNorm(x, weight, rows, dim, 1e-5), expected)).toBeLessThan(1 / 128);
  });

  it("rope matches the CPU at large positions", () => {
    const positions = Int32Array.from([0, 1, 7, 255, 511, 1023, 4095]);
    const heads = 3,
      headDim = 10;
    const x = values(positions.length * heads * headDim, 7);
    const expected = addon.kernels.rope(x, positions, heads, headDim, 10000);
    expect(relativeError(k.rope(x, positions, heads, headDim, 10000), expected)).toBeLessThan(1e-3);
    // partial rotary (LLaDA2): 4 of each head's 10 values turn
    const partial = addon.kernels.rope(x, positions, heads, headDim, 10000, 4);
    expect(relativeError(k.rope(x, positions, heads, headDim, 10000, 4), partial)).toBeLessThan(1e-3);
  });

  it.each([
    [19, 45, 6, 2, 18],
    [1, 1, 1, 1, 2],
    [33, 70, 4, 4, 128],
    [16, 300, 8, 1, 64],
    [5, 33, 2, 1, 256],
  ])("attention of %i rows over %i keys (%i heads, %i kv, dim %i) matches the CPU", (rows, length, heads, kv, dim) => {
    const q = values(rows * heads * dim, rows, 2),
      keys = bf16(values(length * kv * dim, length, 2));
    const vals = bf16(values(length * kv * dim, length + 9));
    const expected = addon.kernels.attention(q, rows, keys, vals, length, heads, kv, dim);
    expect(relativeError(k.attention(q, rows, keys, vals, length, heads, kv, dim), expected)).toBeLessThan(1 / 64);
  });

  it("siluMul matches silu(gate) · up to BF16 precision", () => {
    const gate = values(1001, 8, 4),
      up = values(1001, 9, 2);
    const expected = Float32Array.from(gate, (g, i) => (g / (1 + Math.exp(-g))) * (up[i] as number));
    expect(relativeError(k.siluMul(gate, up), expected)).toBeLessThan(1 / 128);
  });

  /** Row r of the device's statistics against the CPU's for that row: the same tokens, close probabilities. */
  function expectRowStats(
    device: ReturnType<typeof k.rowStats>,
    r: number,
    host: ReturnType<typeof addon.kernels.rowStats>,
  ) {
    expect(device.argmax[r]).toBe(host.argmax);
    expect(device.sample[r]).toBe(host.sample);
    expect(device.confidence[r]).toBeCloseTo(host.confidence, 5);
    expect(device.margin[r]).toBeCloseTo(host.margin, 5);
    expect(device.entropy[r]).toBeCloseTo(host.entropy, 3);
    expect(device.sampleProb[r]).toBeCloseTo(host.sampleProb, 5);
  }

  it.each([0, 0.8])("rowStats at temperature %s gives the CPU's argmax, draw and probabilities", (temperature) => {
    const rows = 3,
      vocab = 1001;
    const logits = values(rows * vocab, 10, 6);
    const sampling = { temperature, seed: 42 };
    const positions = [3, 17, 400];
    const device = k.rowStats(logits, rows, vocab, sampling, positions, 5);
    for (let r = 0; r < rows; r++) {
      const host = addon.kernels.rowStats(
        logits.slice(r * vocab, (r + 1) * vocab),
        sampling,
        positions[r] as number,
        5,
      );
      expectRowStats(device, r, host);
    }
  });

  it.each([0, 0.8])(
    "rowStats under allowed-token masks at temperature %s gives the CPU's tokens and probabilities, never a left-out token",
    (temperature) => {
      const rows = 3,
        vocab = 1001;
      const logits = values(rows * vocab, 11, 6);
      // Every third token left out, and each row's highest logit on one of them.
      const allowed = Uint8Array.from({ length: rows * vocab }, (_, i) => ((i % vocab) % 3 === 0 ? 0 : 1));
      for (let r = 0; r < rows; r++) logits[r * vocab + 3 * (r + 1)] = 50;
      const sampling = { temperature, seed: 7 };
      const positions = [1, 2, 3];
      const device = k.rowStats(logits, rows, vocab, sampling, positions, 9, allowed);
      for (let r = 0; r < rows; r++) {
        const row = logits.slice(r * vocab, (r + 1) * vocab);
        for (let i = 0; i < vocab; i += 3) row[i] = Number.NEGATIVE_INFINITY; // the CPU's way to leave a token out
        const host = addon.kernels.rowStats(row, sampling, positions[r] as number, 9);
        expect((device.argmax[r] as number) % 3).not.toBe(0);
        expect((device.sample[r] as number) % 3).not.toBe(0);
        expectRowStats(device, r, host);
      }
    },
  );
});

describe.skipIf(!gpu)(gpu ? `the CUDA engine on ${cuda.name}` : `the CUDA engine: skipped, ${skipReason}`, () => {
  const tokens = Int32Array.from([1, 72, 101, MASK_ID, MASK_ID, 108, MASK_ID, 33, 200, MASK_ID, 90]);
  const allRows = Int32Array.from(tokens.keys());

  it.each([
    ["LLaDA, BF16, GQA", { dtype: "BF16" as const, kvHeads: 2, seed: 21 }],
    ["LLaDA, F32, tied", { tied: true, seed: 22 }],
    ["Dream, BF16, GQA, bias", { family: "dream" as const, dtype: "BF16" as const, kvHeads: 1, seed: 23 }],
    // The router's choice is made on the host from the GPU's logits, as the CPU engine makes it.
    [
      "LLaDA-MoE, BF16: q/k norms, dense and mixture layers, expert bias, shared expert",
      { ...TINY_MOE, dtype: "BF16" as const, seed: 25 },
    ],
  ])("%s: logits match the CPU engine, and so do confident argmaxes", async (_, spec) => {
    const checkpoint = writeCheckpoint(spec);
    const cpu = await loadCheckpoint(checkpoint.dir, { device: "cpu", threads: 2 });
    const gpuModel = await loadCheckpoint(checkpoint.dir, { device: "cuda" });
    expect(gpuModel.model.info().device).toMatch(/^cuda:0/);
    const [expected] = await cpu.model.forward([{ tokens, statRows: allRows, wantLogits: true }]);
    const [actual] = await gpuModel.model.forward([{ tokens, statRows: allRows, wantLogits: true }]);
    expect(relativeError(actual?.logits as Float32Array, expected?.logits as Float32Array)).toBeLessThan(0.03);
    allRows.forEach((_, i) => {
      if ((expected?.margin[i] as number) > 0.05) expect(actual?.argmax[i]).toBe(expected?.argmax[i]);
    });
  });

  it("allowed-token masks (constrained decoding): the GPU's masked rows are the CPU's, free rows unchanged", async () => {
    const checkpoint = writeCheckpoint({ dtype: "BF16", seed: 26 });
    const cpu = await loadCheckpoint(checkpoint.dir, { device: "cpu", threads: 2 });
    const gpuModel = await loadCheckpoint(checkpoint.dir, { device: "cuda" });
    const vocab = checkpoint.spec.vocab;
    const allowed = new Uint8Array(2 * vocab);
    for (const token of [3, 40, 41, 99]) allowed[token] = 1;
    allowed[vocab + 17] = 1;
    const statRows = Int32Array.from([3, 4, 6]);
    const sequence = {
      tokens,
      statRows,
      statMasks: Int32Array.from([0, 1, -1]),
      allowed,
      sampling: { temperature: 0.9, seed: 5 },
      step: 2,
    };
    const [expected] = await cpu.model.forward([sequence]);
    const [actual] = await gpuModel.model.forward([sequence]);
    expect(actual?.argmax[1]).toBe(17);
    for (const i of [0, 1]) {
      expect(allowed[(i === 0 ? 0 : vocab) + (actual?.sample[i] as number)]).toBe(1);
      if ((expected?.margin[i] as number) > 0.05) expect(actual?.argmax[i]).toBe(expected?.argmax[i]);
      expect(actual?.confidence[i]).toBeCloseTo(expected?.confidence[i] as number, 1);
    }
  });

  it("block-causal attention (blockSize), whole canvas and block by block over the cache, gives the CPU's logits", async () => {
    // Written and compiled without a GPU: this is the check a GPU run makes before the loader lets
    // block-diffusion models (SDAR, Fast-dLLM v2) onto the CUDA engine.
    const checkpoint = writeCheckpoint({ dtype: "BF16", kvHeads: 2, seed: 27 });
    const cpu = await loadCheckpoint(checkpoint.dir, { device: "cpu", threads: 2 });
    const gpuModel = await loadCheckpoint(checkpoint.dir, { device: "cuda" });
    const [expected] = await cpu.model.forward([{ tokens, statRows: allRows, wantLogits: true, blockSize: 4 }]);
    const [whole] = await gpuModel.model.forward([{ tokens, statRows: allRows, wantLogits: true, blockSize: 4 }]);
    expect(relativeError(whole?.logits as Float32Array, expected?.logits as Float32Array)).toBeLessThan(0.03);
    const cache = gpuModel.model.createCache(tokens.length);
    await gpuModel.model.forward([
      { tokens, rowEnd: 8, attendLength: 8, cache, blockSize: 4, statRows: Int32Array.from([0]) },
    ]);
    const statRows = Int32Array.from([8, 9, 10]);
    const [block] = await gpuModel.model.forward([
      { tokens, rowBegin: 8, rowEnd: 11, attendLength: 11, cache, blockSize: 4, statRows, wantLogits: true },
    ]);
    const vocab = checkpoint.spec.vocab;
    const cpuLogits = expected?.logits as Float32Array;
    const rows = cpuLogits.subarray(8 * vocab, 11 * vocab);
    expect(relativeError(block?.logits as Float32Array, rows)).toBeLessThan(0.03);
  });

  it("LLaDA2's layer (partial rotary, grouped sigmoid routing, shared expert) under block-causal attention gives the CPU's logits", async () => {
    // The loader keeps block-diffusion families on the CPU until this passes on a GPU: the engine is
    // loaded directly here, from the checkpoint's tensors.
    const written = writeCheckpoint({ ...TINY_LLADA2, dtype: "BF16", seed: 28 });
    const cpu = await loadCheckpoint(written.dir, { device: "cpu", threads: 2 });
    const { architecture, weights } = readCheckpointFolder(written.dir);
    const gpuModel = await addon.loadModel(architecture.shape, weights.files, weights.tensors, 0, { device: "cuda" });
    const sequence = { tokens, statRows: allRows, wantLogits: true, blockSize: 4 };
    const [expected] = await cpu.model.forward([sequence]);
    const [actual] = await gpuModel.forward([sequence]);
    expect(relativeError(actual?.logits as Float32Array, expected?.logits as Float32Array)).toBeLessThan(0.03);
  });

  it("a KV cache and a batch of sequences give the same logits as whole-canvas passes", async () => {
    const checkpoint = writeCheckpoint({ dtype: "BF16", seed: 24 });
    const { model } = await loadCheckpoint(checkpoint.dir, { device: "cuda" });
    const statRows = Int32Array.from([6, 9]);
    const [whole] = await model.forward([{ tokens, statRows, wantLogits: true }]);
    const cache = model.createCache(tokens.length);
    await model.forward([{ tokens, statRows: Int32Array.from([0]), cache }]);
    const [cached, other] = await model.forward([
      { tokens, rowBegin: 6, rowEnd: 10, attendLength: tokens.length, statRows, cache, wantLogits: true },
      { tokens: tokens.slice(0, 7), statRows: Int32Array.from([6]) },
    ]);
    expect(relativeError(cached?.logits as Float32Array, whole?.logits as Float32Array)).toBeLessThan(0.02);
    expect(other?.argmax).toHaveLength(1);
  });

  // The GPU rounds activations to BF16 where the CPU keeps FP32, so a whole answer may part from the
  // CPU's at a near-tie (on an H100 the built-in model's 32-token answers agreed on 27 tokens; see
  // native/cuda/README.md). So the answer is teacher-forced: every step of the CPU's answer is run
  // on both engines, and the GPU must pick the same token wherever the CPU is not near a tie.
  it("the built-in model: at every step of the CPU's answer the GPU agrees but for near-ties", async () => {
    const dir = defaultModelDir() as string;
    const cpu = await loadCheckpoint(dir, { device: "cpu", threads: 2 });
    const gpuModel = await loadCheckpoint(dir, { device: "cuda" });
    const prompt = cpu.tokenizer.encode("export function isPlainObject(value) {\n");
    const canvas = Int32Array.from([...prompt, ...new Array<number>(32).fill(cpu.architecture.maskId)]);
    let compared = 0;
    for (let step = 0; step < 32; step++) {
      const masked = Int32Array.from([...canvas.keys()].filter((i) => canvas[i] === cpu.architecture.maskId));
      const [expected] = await cpu.model.forward([{ tokens: canvas, statRows: masked }]);
      const [actual] = await gpuModel.model.forward([{ tokens: canvas, statRows: masked }]);
      masked.forEach((_, i) => {
        expect(Math.abs((actual?.confidence[i] as number) - (expected?.confidence[i] as number))).toBeLessThan(0.02);
        if ((expected?.margin[i] as number) > 0.05) {
          expect(actual?.argmax[i]).toBe(expected?.argmax[i]);
          compared++;
        }
      });
      // The CPU's choice goes on: the most confident masked position takes its argmax.
      let best = 0;
      masked.forEach((_, i) => {
        if ((expected?.confidence[i] as number) > (expected?.confidence[best] as number)) best = i;
      });
      canvas[masked[best] as number] = expected?.argmax[best] as number;
    }
    expect(compared).toBeGreaterThan(100);
  });
});
