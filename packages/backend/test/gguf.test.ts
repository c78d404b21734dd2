// GGUF files: our exporter's files load with the same logits as the checkpoint they came from (and
// as the independent reference model), quantized files stay close to the float model, LLaDA's
// interleaved q/k rows are used in place with matching RoPE pairs, and the writer never damages a file.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readGguf } from "../src/checkpoint/gguf";
import { ggufTensorName } from "../src/checkpoint/gguf-architecture";
import { exportGguf, interleaveRopeRows, tensorType } from "../src/checkpoint/gguf-export";
import { writeGguf } from "../src/checkpoint/gguf-writer";
import { locateWeights, readCheckpointFolder } from "../src/checkpoint/load";
import { readCheckpointTensors, readTensorValues } from "../src/checkpoint/safetensors";
import { defaultModelDir, type LoadedCheckpoint, loadCheckpoint } from "../src/index";
import { type NativeTensor, native } from "../src/native";
import { maxLogitError } from "./support/compare";
import { referenceLogits } from "./support/reference-model";
import { MASK_ID, TINY_MOE, type TinyModelSpec, writeCheckpoint } from "./support/write-checkpoint";

const scratch = mkdtempSync(join(tmpdir(), "anneal-gguf-"));
const builtIn = defaultModelDir() as string;

describe.each<[string, Partial<TinyModelSpec>]>([
  ["LLaDA, F32", {}],
  ["LLaDA, F16, GQA", { dtype: "F16", kvHeads: 2 }],
  ["LLaDA, BF16, tied embeddings, qkv bias", { dtype: "BF16", tied: true, qkvBias: true }],
  ["Dream, BF16, GQA, bias", { family: "dream", dtype: "BF16", kvHeads: 1 }],
])("a %s checkpoint written as GGUF", (name, overrides) => {
  it("loads with the reference model's logits, and the same architecture and tokenizer", async () => {
    const checkpoint = writeCheckpoint(overrides);
    const file = join(scratch, `${name.replace(/\W+/g, "-")}.gguf`);
    exportGguf(checkpoint.dir, file);
    // BF16 matrices widened: exactly the float32 product, held to the float64 reference.
    const [fromFolder, fromGguf] = [
      await loadCheckpoint(checkpoint.dir),
      await loadCheckpoint(file, { bf16: "widen" }),
    ];
    const { eps, ...shape } = fromFolder.architecture.shape;
    expect(fromGguf.architecture.shape).toEqual({ ...shape, eps: Math.fround(eps) }); // GGUF holds eps as f32
    expect([fromGguf.architecture.maskId, fromGguf.architecture.stopIds]).toEqual([
      fromFolder.architecture.maskId,
      fromFolder.architecture.stopIds,
    ]);
    const text = "<|user|>héllo, wörld 123\n<|assistant|>";
    expect(fromGguf.tokenizer.encode(text)).toEqual(fromFolder.tokenizer.encode(text));
    expect(fromGguf.chatTemplate?.render([{ role: "user", content: "hi" }], { addGenerationPrompt: true })).toBe(
      fromFolder.chatTemplate?.render([{ role: "user", content: "hi" }], { addGenerationPrompt: true }),
    );

    const tokens = Int32Array.from([1, 72, 101, MASK_ID, MASK_ID, 108, MASK_ID, 33, 200]);
    const rows = Int32Array.from(tokens.keys());
    const [out] = await fromGguf.model.forward([{ tokens, statRows: rows, wantLogits: true }]);
    const expected = referenceLogits(checkpoint.spec, checkpoint.weights, tokens);
    const scale = Math.max(...expected.flatMap((row) => Array.from(row, Math.abs)));
    expect(maxLogitError(out?.logits as Float32Array, expected, checkpoint.spec.vocab)).toBeLessThan(1e-4 * scale);
  });
});

/** Logits and argmaxes at every position of a fixed piece of code with a third of it masked. */
async function logitsOf(checkpoint: LoadedCheckpoint) {
  const text = readFileSync(new URL("../src/checkpoint/gguf-export.ts", import.meta.url), "utf8").slice(0, 1200);
  const tokens = Int32Array.from(checkpoint.tokenizer.encode(text).slice(0, 160));
  for (let i = 0; i < tokens.length; i += 3) tokens[i] = checkpoint.architecture.maskId;
  const rows = Int32Array.from(tokens.keys());
  const [out] = await checkpoint.model.forward([{ tokens, statRows: rows, wantLogits: true }]);
  return { logits: out?.logits as Float32Array, argmax: out?.argmax as Int32Array };
}

const agreement = (a: Int32Array, b: Int32Array) => a.filter((token, i) => token === b[i]).length / a.length;
const maxDifference = (a: Float32Array, b: Float32Array) =>
  a.reduce((most, x, i) => Math.max(most, Math.abs(x - (b[i] as number))), 0);

describe("the built-in model as quantized GGUF", () => {
  let float: Awaited<ReturnType<typeof logitsOf>>;
  beforeAll(async () => {
    float = await logitsOf(await loadCheckpoint(builtIn));
  });

  it("in its own dtype: the same logits as the checkpoint folder, bit for bit", async () => {
    const file = join(scratch, "built-in.gguf");
    expect(exportGguf(builtIn, file).type).toBe("bf16");
    expect(maxDifference((await logitsOf(await loadCheckpoint(file))).logits, float.logits)).toBe(0);
  });

  it.each([
    ["q8_0", { Q8_0: 58, F32: 17 }, 0.9],
    ["q4_k_m", { Q4_K: 49, Q6_K: 9, F32: 17 }, 0.8],
    ["q4_0", { Q4_0: 58, F32: 17 }, 0.7],
  ] as const)("%s: llama.cpp's tensor types, predictions close to the float model's", async (type, types, agree) => {
    const file = join(scratch, `built-in-${type}.gguf`);
    expect(exportGguf(builtIn, file, type).tensorTypes).toEqual(types);
    const counted: Record<string, number> = {};
    for (const tensor of readGguf(file).tensors.values())
      counted[tensor.dtype as string] = (counted[tensor.dtype as string] ?? 0) + 1;
    expect(counted).toEqual(types);
    const checkpoint = await loadCheckpoint(file);
    expect(checkpoint.model.info().weights).toBe(type === "q4_k_m" ? "Q4_K+Q6_K" : type.toUpperCase());
    expect(agreement((await logitsOf(checkpoint)).argmax, float.argmax)).toBeGreaterThanOrEqual(agree);
  });

  it("a Q8_0 file holds exactly the blocks quantize-at-load makes (q and k rows interleaved)", async () => {
    const file = join(scratch, "built-in-q8_0-blocks.gguf");
    exportGguf(builtIn, file, "q8_0");
    const gguf = readGguf(file);
    const { architecture } = readCheckpointFolder(builtIn);
    const available = readCheckpointTensors(builtIn);
    const bytes = readFileSync(file);
    for (const [key, { name }] of architecture.tensorNames) {
      const tensor = gguf.tensors.get(ggufTensorName(key));
      if (tensor?.dtype !== "Q8_0") continue;
      const values = readTensorValues(available.get(name) as NonNullable<ReturnType<typeof available.get>>);
      const rows = /\.(q|k)$/.test(key) ? interleaveRopeRows(values, tensor.shape, architecture.shape.headDim) : values;
      const expected = native().kernels.quantize(rows, "Q8_0");
      expect(Buffer.compare(bytes.subarray(tensor.offset, tensor.offset + tensor.bytes), Buffer.from(expected))).toBe(
        0,
      );
    }
    // And the two run alike. (Not bit for bit: the q·k sums run in another order, which can move an
    // int8 rounding of a later activation by one step.)
    const [atLoad, fromFile] = [await loadCheckpoint(builtIn, { quantize: "q8_0" }), await loadCheckpoint(file)];
    expect(fromFile.model.info().weightBytes).toBe(atLoad.model.info().weightBytes);
    expect(agreement((await logitsOf(atLoad)).argmax, (await logitsOf(fromFile)).argmax)).toBeGreaterThanOrEqual(0.95);
  });

  it("--quantize q4_k: Q4_K matrices with a Q6_K head, about a quarter of the float bytes", async () => {
    const checkpoint = await loadCheckpoint(builtIn, { quantize: "q4_k" });
    const info = checkpoint.model.info();
    expect(info.weights).toBe("Q4_K+Q6_K");
    const bf16 = (await loadCheckpoint(builtIn)).model.info().weightBytes as number;
    expect(info.weightBytes).toBeLessThan(0.35 * bf16);
    expect(agreement((await logitsOf(checkpoint)).argmax, float.argmax)).toBeGreaterThanOrEqual(0.8);
  });
});

describe("LLaDA's q and k rows in llama.cpp's interleaved order", () => {
  it("interleaveRopeRows moves row j·half + i of each head to 2i + j", () => {
    const values = Float32Array.from({ length: 8 * 2 }, (_, i) => Math.floor(i / 2)); // 8 rows of 2, row r holds r
    const rows = Array.from(interleaveRopeRows(values, [8, 2], 4).filter((_, i) => i % 2 === 0));
    expect(rows).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
  });

  it("quantized q/k used in place with interleaved RoPE pairs give the logits of the rotate-half rows", async () => {
    // The built-in model with only q and k quantized (Q8_0), from blocks written in both row orders.
    const dir = builtIn;
    const parts = readCheckpointFolder(dir);
    const { architecture } = parts;
    const weights = locateWeights(dir, architecture);
    const available = readCheckpointTensors(dir);
    const headDim = architecture.shape.headDim;
    const blocks: Buffer[] = [];
    const tensorsIn = (interleaved: boolean, flag: boolean): Record<string, NativeTensor> => {
      const tensors = { ...weights.tensors };
      let offset = blocks.reduce((sum, b) => sum + b.length, 0);
      for (const [key, tensor] of Object.entries(weights.tensors)) {
        if (!/\.(q|k)$/.test(key)) continue;
        const values = readTensorValues(available.get(tensor.name) as NonNullable<ReturnType<typeof available.get>>);
        const rows = interleaved ? interleaveRopeRows(values, tensor.shape, headDim) : values;
        const data = Buffer.from(native().kernels.quantize(rows, "Q8_0"));
        blocks.push(data);
        tensors[key] = {
          ...tensor,
          file: weights.files.length,
          offset,
          dtype: "Q8_0",
          ...(flag ? { interleavedHeadDim: headDim } : {}),
        };
        offset += data.length;
      }
      return tensors;
    };
    const plain = tensorsIn(false, false);
    const interleaved = tensorsIn(true, true);
    const unflagged = tensorsIn(true, false); // the control: interleaved rows, rotate-half RoPE
    const blockFile = join(scratch, "qk-blocks.bin");
    writeFileSync(blockFile, Buffer.concat(blocks));
    const files = [...weights.files, blockFile];
    const tokens = Int32Array.from({ length: 48 }, (_, i) => (i * 37) % 8000);
    const rows = Int32Array.from(tokens.keys());
    // The other (BF16) matrices widened, not on the BF16 dot product: its rounding of the activations
    // to BF16 would turn the tiny differences of summation order into differences of 1e-3 of the scale.
    const logits = async (tensors: Record<string, NativeTensor>) => {
      const model = await native().loadModel(architecture.shape, files, tensors, 2, { bf16: "widen" });
      const [out] = await model.forward([{ tokens, statRows: rows, wantLogits: true }]);
      return out?.logits as Float32Array;
    };
    const [a, b, c] = [await logits(plain), await logits(interleaved), await logits(unflagged)];
    const scale = a.reduce((most, x) => Math.max(most, Math.abs(x)), 0);
    // Interleaved rows with interleaved pairs: only the order of the q·k sums differs (measured 1e-4 of
    // the scale); the same rows with rotate-half pairs are another model (measured 0.2 of it).
    expect(maxDifference(a, b)).toBeLessThan(1e-3 * scale);
    expect(maxDifference(a, c)).toBeGreaterThan(Math.max(5e-2 * scale, 50 * maxDifference(a, b)));
  });
});

describe("where a GGUF is found", () => {
  it("a folder holding one .gguf loads it; a folder holding two names both", async () => {
    const one = join(scratch, "one");
    mkdirSync(one, { recursive: true });
    const checkpoint = writeCheckpoint({ seed: 21 });
    exportGguf(checkpoint.dir, join(one, "model-f32.gguf"), "f32");
    const loaded = await loadCheckpoint(one);
    expect(loaded.dir).toBe(one);
    exportGguf(checkpoint.dir, join(one, "model-f16.gguf"), "f16");
    await expect(loadCheckpoint(one)).rejects.toThrow(/holds 2 \.gguf files \(model-f16\.gguf, model-f32\.gguf\)/);
  });
});

describe("tensor types of an export", () => {
  it("Q4_K_M gives the head, and attn_v and ffn_down of the outer and every third layer, Q6_K", () => {
    const q6 = (key: string) => tensorType(key, [256, 256], "q4_k_m", 32) === "Q6_K";
    expect(["head", "layers.0.v", "layers.3.down", "layers.6.v", "layers.28.down", "layers.31.v"].every(q6)).toBe(true);
    expect(["embed", "layers.0.q", "layers.4.v", "layers.5.down", "layers.10.gate"].some(q6)).toBe(false);
  });

  it("rows that are not whole blocks fall back: Q8_0 for multiples of 32, then F16; vectors stay F32", () => {
    expect(tensorType("layers.0.q", [64, 96], "q4_k", 2)).toBe("Q8_0");
    expect(tensorType("layers.0.q", [64, 48], "q4_k", 2)).toBe("F16");
    expect(tensorType("layers.0.attn_norm", [48], "q8_0", 2)).toBe("F32");
  });
});

describe("the writer never damages a file", () => {
  it("a write that fails part-way leaves the existing file as it was, and no temporary file", () => {
    const dir = mkdtempSync(join(tmpdir(), "anneal-gguf-write-"));
    const file = join(dir, "model.gguf");
    writeFileSync(file, "the user's file");
    expect(() =>
      writeGguf(
        file,
        [{ key: "general.architecture", type: "string", value: "llada" }],
        [
          { name: "a", shape: [32], dtype: "F32", bytes: () => new Uint8Array(128) },
          {
            name: "b",
            shape: [32],
            dtype: "F32",
            bytes: () => {
              throw new Error("disk full");
            },
          },
        ],
      ),
    ).toThrow("disk full");
    expect(readFileSync(file, "utf8")).toBe("the user's file");
    expect(readdirSync(dir)).toEqual(["model.gguf"]);
  });
});

describe("requantizing a GGUF file, as llama-quantize does", () => {
  /** Tensor name → its bytes in a GGUF file. */
  function tensorBytes(file: string): Map<string, string> {
    const gguf = readGguf(file);
    const bytes = readFileSync(file);
    return new Map(
      [...gguf.tensors.values()].map((t) => [t.name, bytes.subarray(t.offset, t.offset + t.bytes).toString("base64")]),
    );
  }

  it.each<[string, Partial<TinyModelSpec>]>([
    ["LLaDA (q and k rows stay in llama.cpp's order)", { dim: 64, ffn: 96, dtype: "F16", seed: 31 }],
    ["LLaDA-MoE (stacked experts)", { ...TINY_MOE, dtype: "F16", seed: 32 }],
  ])("%s: F16 GGUF → Q8_0 gives the blocks the folder → Q8_0 gives", (_, spec) => {
    const source = writeCheckpoint(spec);
    const f16 = join(scratch, `requant-${spec.seed}-f16.gguf`);
    const fromFile = join(scratch, `requant-${spec.seed}-q8_0-from-gguf.gguf`);
    const fromFolder = join(scratch, `requant-${spec.seed}-q8_0-from-folder.gguf`);
    exportGguf(source.dir, f16, "f16");
    const summary = exportGguf(f16, fromFile, "q8_0");
    exportGguf(source.dir, fromFolder, "q8_0");
    expect(summary.tensorTypes.Q8_0).toBeGreaterThan(0);
    expect(tensorBytes(fromFile)).toEqual(tensorBytes(fromFolder));
  });

  it("a quantized file requantizes from its dequantized values and loads; without a type it is refused", async () => {
    const source = writeCheckpoint({ dim: 256, ffn: 256, seed: 33 });
    const q8 = join(scratch, "requant-q8.gguf");
    const q4 = join(scratch, "requant-q4_k_m.gguf");
    exportGguf(source.dir, q8, "q8_0");
    expect(exportGguf(q8, q4, "q4_k_m").tensorTypes.Q4_K).toBeGreaterThan(0);
    // A Q4_K matrix of the new file is exactly the old Q8_0 blocks dequantized, then quantized.
    const name = "blk.0.ffn_up.weight";
    const [old, fresh] = [readGguf(q8).tensors.get(name), readGguf(q4).tensors.get(name)];
    expect([old?.dtype, fresh?.dtype]).toEqual(["Q8_0", "Q4_K"]);
    const oldBytes = readFileSync(q8).subarray(old?.offset, (old?.offset ?? 0) + (old?.bytes ?? 0));
    const count = (old?.shape ?? []).reduce((a, b) => a * b, 1);
    const expected = native().kernels.quantize(native().kernels.dequantize(oldBytes, "Q8_0", count), "Q4_K");
    const written = readFileSync(q4).subarray(fresh?.offset, (fresh?.offset ?? 0) + (fresh?.bytes ?? 0));
    expect(Buffer.from(written).equals(Buffer.from(expected))).toBe(true);
    expect((await loadCheckpoint(q4)).model.info().weights).toMatch(/^Q4_K/);
    expect(() => exportGguf(q8, join(scratch, "x.gguf"))).toThrow(/is already a GGUF file; name the type/);
  });
});
