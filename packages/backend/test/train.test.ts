// Training end to end on a small corpus: the loss falls, the checkpoint loads and generates, a
// resumed run is bit-identical to an uninterrupted one, fine-tuning starts from a checkpoint.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ChatTemplate } from "../src/checkpoint/chat-template";
import { locateWeights } from "../src/checkpoint/load";
import { generate, loadCheckpoint } from "../src/index";
import { native } from "../src/native";
import { collectDocuments } from "../src/train/corpus";
import { TrainingData } from "../src/train/dataset";
import { evaluateHeldOut } from "../src/train/evaluate";
import { evaluateModel, infillCases } from "../src/train/evaluate-model";
import { DEFAULT_SETTINGS, type TrainSettings, train } from "../src/train/train";
import { writeCheckpoint } from "./support/write-checkpoint";

/** A small corpus of documented functions and prose, written to a temp folder. */
function corpus(): string {
  const dir = mkdtempSync(join(tmpdir(), "anneal-corpus-"));
  mkdirSync(join(dir, "src"));
  const verbs = ["add", "subtract", "multiply", "divide", "compare", "merge", "split", "count"];
  verbs.forEach((verb, i) => {
    const body = `/**\n * Returns the result when you ${verb} the two numbers a and b.\n */\nexport function ${verb}(a: number, b: number): number {\n  const result = a ${"+-*/<&|^"[i]} b;\n  return result;\n}\n`;
    writeFileSync(join(dir, "src", `${verb}.ts`), body.repeat(3));
  });
  writeFileSync(
    join(dir, "README.md"),
    "# Numbers\n\nEach function takes two numbers and returns one number.\n".repeat(20),
  );
  return dir;
}

const data = corpus();
function settings(out: string, overrides: Partial<TrainSettings> = {}): TrainSettings {
  return {
    ...DEFAULT_SETTINGS,
    out,
    data: [data],
    vocabSize: 320,
    dim: 32,
    layers: 2,
    heads: 2,
    kvHeads: 2,
    ffn: 64,
    length: 48,
    batchSize: 4,
    steps: 24,
    lr: 5e-3,
    warmup: 3,
    checkpointEvery: 8,
    evalEvery: 8,
    evalSequences: 8,
    heldOutFraction: 0,
    threads: 2,
    dtype: "F32",
    ...overrides,
  };
}

const temp = () => mkdtempSync(join(tmpdir(), "anneal-train-"));

describe("train", () => {
  it("lowers the loss and writes a checkpoint the engine loads and generates from", async () => {
    const out = temp();
    const progress: number[] = [];
    const summary = await train(settings(out, { steps: 40 }), (p) => progress.push(p.loss));
    expect(progress).toHaveLength(40);
    expect(progress.every(Number.isFinite)).toBe(true);
    // The fixed evaluation batches (same windows, same masks) before and after training.
    const evaluations = summary.history.filter((h) => h.heldOutLoss !== undefined);
    expect(evaluations.map((h) => h.step)).toEqual([0, 8, 16, 24, 32, 40]);
    expect(summary.heldOutLoss).toBeLessThan((evaluations[0]?.heldOutLoss as number) * 0.8);
    expect(summary.heldOutAccuracy).toBeGreaterThan(evaluations[0]?.heldOutAccuracy as number);

    const loaded = await loadCheckpoint(out);
    expect(loaded.architecture.family).toBe("llada");
    const prompt = loaded.tokenizer.encode(
      loaded.chatTemplate?.render([{ role: "user", content: "add two numbers" }]) ?? "",
    );
    const run = generate(loaded, prompt, { maxTokens: 16, blockLength: 8, sampler: "low_confidence", steps: 16 });
    let next = await run.next();
    while (!next.done) next = await run.next();
    expect(next.value.forwardPasses).toBeGreaterThan(0);
  });

  it("resumes exactly: stopping and resuming gives the same weights as one run", async () => {
    const straight = temp();
    await train(settings(straight));
    const interrupted = temp();
    await train(settings(interrupted, { stopAfter: 10 }));
    const state = JSON.parse(readFileSync(join(interrupted, "training", "state.json"), "utf8"));
    expect(state.step).toBe(10);
    await train(settings(interrupted));
    expect(
      readFileSync(join(interrupted, "training", "state.safetensors")).equals(
        readFileSync(join(straight, "training", "state.safetensors")),
      ),
    ).toBe(true);
    expect(
      readFileSync(join(interrupted, "model.safetensors")).equals(readFileSync(join(straight, "model.safetensors"))),
    ).toBe(true);
  });

  it("a finished run says so when resumed as is, and a larger --steps total trains on", async () => {
    const out = temp();
    await train(settings(out, { steps: 3 }));
    await expect(train(settings(out, { steps: 3 }))).rejects.toThrow(
      /has already trained 3 of 3 steps; pass --steps with a larger total/,
    );
    const more = await train(settings(out, { resumeSteps: 5 }));
    expect(more.steps).toBe(5);
    expect(JSON.parse(readFileSync(join(out, "training", "state.json"), "utf8")).step).toBe(5);
  });

  it("fine-tunes from a checkpoint, keeping its tokenizer and config", async () => {
    const base = temp();
    await train(settings(base, { steps: 6 }));
    const tuned = temp();
    const summary = await train(settings(tuned, { from: base, steps: 4, dtype: "BF16" }));
    expect(summary.steps).toBe(4);
    expect(readFileSync(join(tuned, "tokenizer.json"), "utf8")).toBe(
      readFileSync(join(base, "tokenizer.json"), "utf8"),
    );
    expect(JSON.parse(readFileSync(join(tuned, "config.json"), "utf8"))).toEqual(
      JSON.parse(readFileSync(join(base, "config.json"), "utf8")),
    );
    await expect(loadCheckpoint(tuned)).resolves.toBeDefined();
  });

  it("evaluates a checkpoint: masked accuracy and infilling per sampler setting", async () => {
    const out = temp();
    await train(settings(out, { steps: 8 }));
    const documents = collectDocuments([data]);
    const result = await evaluateModel(await loadCheckpoint(out), {
      documents,
      cases: 3,
      sequences: 8,
      length: 48,
      canvas: 8,
    });
    expect(result.heldOutAccuracy).toBeGreaterThanOrEqual(0);
    expect(result.heldOutAccuracy).toBeLessThanOrEqual(1);
    expect(result.infill.map((r) => r.setting)).toEqual(["one token per step", "threshold 0.9", "threshold 0.7"]);
    for (const r of result.infill) {
      expect(r.cases).toBe(3);
      expect(r.tokensPerForward).toBeGreaterThan(0);
    }
    expect(infillCases(documents, 5, 7)).toEqual(infillCases(documents, 5, 7));
  });

  it("fine-tunes a Dream-format checkpoint (shifted targets) and keeps its layout", async () => {
    const dream = writeCheckpoint({ family: "dream", seed: 31, kvHeads: 2 });
    const tuned = temp();
    const progress: number[] = [];
    const result = await train(settings(tuned, { from: dream.dir, steps: 3, length: 24 }), (p) =>
      progress.push(p.loss),
    );
    // The parameter count includes Dream's q/k/v biases, as the engine counts them.
    expect(result.parameters).toBe((await loadCheckpoint(dream.dir)).model.info().parameters);
    expect(progress.every(Number.isFinite)).toBe(true);
    const loaded = await loadCheckpoint(tuned);
    expect(loaded.architecture.family).toBe("dream");
    expect(loaded.architecture.shiftLogits).toBe(true);
  });

  it.each(["llada", "dream"] as const)(
    "%s: the trainer's held-out loss is the engine's cross-entropy at the rows that predict each target",
    async (family) => {
      // Dream predicts token i at row i − 1: evaluation must shift its targets as training does.
      const checkpoint = writeCheckpoint({ family, seed: 51, kvHeads: 2 });
      const loaded = await loadCheckpoint(checkpoint.dir);
      const { architecture, tokenizer, model } = loaded;
      const ids = { mask: architecture.maskId, eos: architecture.stopIds[0] as number };
      const mix = { pretrain: 1, sft: 0, fim: 0 };
      const heldOut = new TrainingData(
        collectDocuments([data]),
        tokenizer,
        loaded.chatTemplate as ChatTemplate,
        ids,
        24,
        mix,
      );
      const trainer = await native().createTrainer(architecture.shape, locateWeights(checkpoint.dir, architecture));
      const fromTrainer = await evaluateHeldOut(trainer, heldOut, 4, 4, 1, architecture.shiftLogits);

      const batch = heldOut.batch(-1, 4, 1 ^ 0x5eed); // the windows evaluateHeldOut uses
      const shift = architecture.shiftLogits ? 1 : 0;
      let loss = 0;
      for (let s = 0; s < batch.batch; s++) {
        const at = s * batch.length;
        const tokens = batch.inputs.subarray(at, at + batch.length);
        const [out] = await model.forward([{ tokens, statRows: Int32Array.from(tokens.keys()), wantLogits: true }]);
        const logits = out?.logits as Float32Array;
        const V = architecture.shape.vocab;
        for (let i = shift; i < batch.length; i++) {
          const weight = batch.weights[at + i] as number;
          if (weight === 0) continue;
          const row = logits.subarray((i - shift) * V, (i - shift + 1) * V);
          const max = row.reduce((m, x) => Math.max(m, x), Number.NEGATIVE_INFINITY);
          const logSum = Math.log(row.reduce((sum, x) => sum + Math.exp(x - max), 0)) + max;
          loss += weight * (logSum - (row[batch.targets[at + i] as number] as number));
        }
      }
      expect(fromTrainer.loss).toBeCloseTo(loss, 3);
    },
  );

  it("says clearly when there is nothing to train on", async () => {
    await expect(train(settings(temp(), { data: [temp()] }))).rejects.toThrow(/no .ts\/.js\/.md files/);
    await expect(train(settings(temp(), { data: ["/nonexistent/anneal"] }))).rejects.toThrow(/no such file or folder/);
  });
});
