// LLaDA-MoE in the CPU engine beyond the reference logits (forward.test.ts) and the reference
// sampler (family-generation.test.ts): rows of several sequences grouped by expert give what each
// gives alone, threads do not change a bit, quantizing leaves the router as stored, the GGUF form
// (experts stacked per layer, as llama.cpp's converter writes them) loads to the same logits, and
// what the engine does not support is refused by name.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readGguf } from "../src/checkpoint/gguf";
import { exportGguf } from "../src/checkpoint/gguf-export";
import { CheckpointError, countParameters, loadCheckpoint, readArchitecture } from "../src/index";
import { native } from "../src/native";
import { maxLogitError } from "./support/compare";
import { referenceLogits } from "./support/reference-model";
import { MASK_ID, shapeOf, TINY_MOE, writeCheckpoint } from "./support/write-checkpoint";

const tokens = Int32Array.from([1, 72, 101, MASK_ID, MASK_ID, 108, MASK_ID, 33, 200, 17, MASK_ID]);
const allRows = Int32Array.from(tokens.keys());
const written = writeCheckpoint({ ...TINY_MOE, seed: 71 });

async function logitsOf(path: string, options: Parameters<typeof loadCheckpoint>[1] = {}) {
  const { model } = await loadCheckpoint(path, { threads: 2, ...options });
  const [out] = await model.forward([{ tokens, statRows: allRows, wantLogits: true }]);
  return { model, logits: out?.logits as Float32Array };
}

describe("LLaDA-MoE in the CPU engine", () => {
  it("counts its parameters as the model specification does, and stays on the CPU when the device is auto", async () => {
    const { model } = await loadCheckpoint(written.dir, { device: "auto" });
    expect(model.info().device).toBe("cpu");
    expect(model.info().parameters).toBe(countParameters(shapeOf(written.spec)));
  });

  it("batched sequences (their rows grouped by expert together) give what each gives alone", async () => {
    const { model } = await loadCheckpoint(written.dir, { threads: 2 });
    const other = Int32Array.from([9, 8, 7, MASK_ID, MASK_ID, 3]);
    const a = { tokens, statRows: Int32Array.from([3, 4, 6]), wantLogits: true };
    const b = { tokens: other, statRows: Int32Array.from([3, 4]), wantLogits: true };
    const [together, together2] = await model.forward([a, b]);
    const [alone] = await model.forward([a]);
    const [alone2] = await model.forward([b]);
    expect(Array.from(together?.logits ?? [])).toEqual(Array.from(alone?.logits ?? []));
    expect(Array.from(together2?.logits ?? [])).toEqual(Array.from(alone2?.logits ?? []));
  });

  it("gives the same logits, bit for bit, on 1 and 2 threads", async () => {
    const one = await logitsOf(written.dir, { threads: 1 });
    const two = await logitsOf(written.dir, { threads: 2 });
    expect(Array.from(one.logits)).toEqual(Array.from(two.logits));
  });

  it("quantized to Q8_0 at load: experts quantized, the router kept as stored, logits near the reference", async () => {
    const { model, logits } = await logitsOf(written.dir, { quantize: "q8_0" });
    expect(model.info().weights).toMatch(/^Q8_0\+F32/);
    const expected = referenceLogits(written.spec, written.weights, tokens);
    const scale = Math.max(...expected.flatMap((row) => Array.from(row, Math.abs)));
    // Q8_0 on these tiny random weights costs a dense model of the same size about 6% too.
    expect(maxLogitError(logits, expected, written.spec.vocab)).toBeLessThan(0.1 * scale);
  });

  it("as a GGUF file: experts stacked per layer, the router F32, the same logits as the folder", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "anneal-moe-gguf-")), "moe.gguf");
    exportGguf(written.dir, out, "f32");
    const gguf = readGguf(out);
    expect(gguf.metadata.get("general.architecture")).toBe("llada-moe");
    expect(gguf.metadata.get("llada-moe.expert_count")).toBe(6);
    expect(gguf.metadata.get("llada-moe.expert_used_count")).toBe(2);
    expect(gguf.tensors.get("blk.1.ffn_gate_exps.weight")?.shape).toEqual([6, 32, written.spec.dim]);
    expect(gguf.tensors.get("blk.1.ffn_down_exps.weight")?.shape).toEqual([6, written.spec.dim, 32]);
    expect(gguf.tensors.has("blk.0.ffn_gate_exps.weight")).toBe(false); // layer 0 is dense
    expect(gguf.tensors.get("blk.2.attn_q_norm.weight")?.shape).toEqual([written.spec.dim / written.spec.heads]);
    const fromFolder = await logitsOf(written.dir);
    const fromGguf = await logitsOf(out);
    expect(Array.from(fromGguf.logits)).toEqual(Array.from(fromFolder.logits));

    const q8 = join(mkdtempSync(join(tmpdir(), "anneal-moe-gguf-")), "moe-q8.gguf");
    const summary = exportGguf(written.dir, q8, "q8_0");
    expect(readGguf(q8).tensors.get("blk.1.ffn_gate_inp.weight")?.dtype).toBe("F32");
    expect(readGguf(q8).tensors.get("blk.1.ffn_up_exps.weight")?.dtype).toBe("Q8_0");
    expect(summary.tensorTypes.Q8_0).toBeGreaterThan(0);
    // The file's blocks are the ones quantize-at-load makes, expert slices included.
    const quantized = await logitsOf(q8);
    expect(quantized.model.info().weights).toMatch(/^Q8_0/);
    expect(Array.from(quantized.logits)).toEqual(
      Array.from((await logitsOf(written.dir, { quantize: "q8_0" })).logits),
    );
  });

  it("refuses what the published config allows but the engine does not, naming the key", () => {
    const config = JSON.parse(readFileSync(join(written.dir, "config.json"), "utf8"));
    const refused = (change: Record<string, unknown>) => () =>
      readArchitecture({ ...config, ...change }, "config.json");
    expect(refused({ attention_bias: true })).toThrow(/attention_bias true: attention biases/);
    expect(refused({ partial_rotary_factor: 0.5 })).toThrow(/partial_rotary_factor 0.5: partial RoPE/);
    expect(refused({ rope_scaling: { type: "yarn", factor: 4 } })).toThrow(/rope_scaling .*scaled RoPE/);
    expect(refused({ num_experts_per_tok: 9 })).toThrow(/num_experts_per_tok 9 is more than num_experts 6/);
    expect(refused({ moe_layer_freq: [1, 1] })).toThrow(/moe_layer_freq names 2 layers; the model has 3/);
    expect(refused({ num_experts: 0 })).toThrow(CheckpointError);
  });

  it("is recognised by its architecture, or by model_type llada with expert keys", () => {
    const config = JSON.parse(readFileSync(join(written.dir, "config.json"), "utf8"));
    const { architectures: _, ...withoutArchitectures } = config;
    expect(readArchitecture(withoutArchitectures, "config.json").family).toBe("llada-moe");
    const llada = JSON.parse(readFileSync(join(writeCheckpoint({ seed: 72 }).dir, "config.json"), "utf8"));
    const { architectures: __, ...plainLlada } = llada;
    expect(readArchitecture(plainLlada, "config.json").family).toBe("llada");
  });

  it("the trainer refuses a mixture of experts rather than training it as a dense model", async () => {
    await expect(native().createTrainer(shapeOf(written.spec), { seed: 1 })).rejects.toThrow(
      /trains dense LLaDA-style models, not mixtures of experts/,
    );
  });

  it("a file whose expert tensor is cut short is an error naming it, never a crash", () => {
    const out = join(mkdtempSync(join(tmpdir(), "anneal-moe-gguf-")), "moe.gguf");
    exportGguf(written.dir, out, "f32");
    const bytes = readFileSync(out);
    writeFileSync(out, bytes.subarray(0, bytes.length - 64));
    expect(() => readGguf(out)).toThrow(/runs past the end/);
  });
});
