// generate() end to end on small random checkpoints: every sampler and cache mode decodes the whole
// answer; seeds reproduce; aborts stop; stop tokens end early; infilling fills between prefix and suffix.
import { describe, expect, it } from "vitest";
import {
  type GenerateResult,
  generate,
  type LoadedCheckpoint,
  loadCheckpoint,
  SAMPLERS,
  type StepEvent,
} from "../src/index";
import { MASK_ID, writeCheckpoint } from "./support/write-checkpoint";

const prompt = [72, 101, 108, 108, 111, 44, 32];

async function run(checkpoint: LoadedCheckpoint, options: Parameters<typeof generate>[2]) {
  const events: StepEvent[] = [];
  const iterator = generate(checkpoint, prompt, options);
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { events, result: next.value as GenerateResult };
    events.push(next.value);
  }
}

const llada = await loadCheckpoint(writeCheckpoint({ seed: 21 }).dir, { threads: 2 });
const dream = await loadCheckpoint(writeCheckpoint({ family: "dream", seed: 22, kvHeads: 2 }).dir, { threads: 2 });

describe.each([
  ["LLaDA", llada],
  ["Dream", dream],
])("%s", (_, checkpoint) => {
  it.each(SAMPLERS)("%s fills the whole canvas with real tokens", async (sampler) => {
    const { events, result } = await run(checkpoint, {
      maxTokens: 12,
      blockLength: 4,
      steps: 12,
      sampler,
      earlyStop: false,
      stopIds: [],
    });
    expect(result.tokens).toHaveLength(12);
    expect(result.tokens).not.toContain(MASK_ID);
    expect(result.finishReason).toBe("length");
    expect(result.forwardPasses).toBe(events.length);
    expect(result.tokensPerForward).toBeCloseTo(12 / result.forwardPasses, 10);
    expect(events.at(-1)?.masked.every((m) => m === 0)).toBe(true);
    expect(new Set(events.flatMap((e) => e.committed)).size).toBe(12);
  });

  it.each(["prefix", "dual"] as const)(
    "the %s cache decodes the canvas and agrees with no cache at one token per step",
    async (cache) => {
      const options = {
        maxTokens: 8,
        blockLength: 4,
        sampler: "low_confidence" as const,
        steps: 8,
        earlyStop: false,
        stopIds: [],
      };
      const cached = await run(checkpoint, { ...options, cache });
      const plain = await run(checkpoint, options);
      expect(cached.result.tokens).toHaveLength(8);
      // A block's first step runs a fresh full pass, so the first commit always agrees.
      const [first] = plain.events[0]?.committed ?? [];
      expect(cached.events[0]?.committed).toEqual(plain.events[0]?.committed);
      expect(cached.result.tokens[first as number]).toBe(plain.result.tokens[first as number]);
      expect(cached.result.forwardPasses).toBe(plain.result.forwardPasses);
      // With one-token blocks every step is a block's first, where the cache is refreshed by a full
      // pass: there the cache is exact, so the whole answer must agree, token for token.
      const single = { ...options, blockLength: 1 };
      const exact = await run(checkpoint, { ...single, cache });
      expect(exact.result.tokens).toEqual((await run(checkpoint, single)).result.tokens);
    },
  );
});

describe("generation options", () => {
  it("the same seed gives the same tokens at temperature > 0; another seed differs", async () => {
    const options = {
      maxTokens: 16,
      temperature: 1.5,
      sampler: "low_confidence" as const,
      earlyStop: false,
      stopIds: [],
    };
    const a = await run(llada, { ...options, seed: 5 });
    const b = await run(llada, { ...options, seed: 5 });
    const c = await run(llada, { ...options, seed: 6 });
    expect(a.result.tokens).toEqual(b.result.tokens);
    expect(a.result.tokens).not.toEqual(c.result.tokens);
  });

  it("a threshold sampler commits several tokens per forward when confident enough", async () => {
    const { result } = await run(llada, {
      maxTokens: 16,
      blockLength: 16,
      sampler: "threshold",
      threshold: 0,
      earlyStop: false,
      stopIds: [],
    });
    expect(result.forwardPasses).toBe(1);
    expect(result.tokensPerForward).toBe(16);
  });

  it("stops after the block that commits a stop token and cuts the answer there", async () => {
    const free = await run(llada, { maxTokens: 16, blockLength: 4, earlyStop: false, stopIds: [] });
    const stopToken = free.result.tokens[5] as number; // pretend the sixth token ends the answer
    const { result } = await run(llada, { maxTokens: 16, blockLength: 4, stopIds: [stopToken] });
    expect(result.finishReason).toBe("stop");
    const first = free.result.tokens.indexOf(stopToken);
    expect(result.tokens).toEqual(free.result.tokens.slice(0, first));
    expect(result.forwardPasses).toBeLessThan(free.result.forwardPasses);
  });

  it("never proposes the mask token, so a model whose favourite token is the mask still finishes", async () => {
    // A zero final norm makes every logit 0: the first id wins every argmax. Declared the mask, it
    // would be proposed (and "committed") forever without the rule.
    const flat = writeCheckpoint({ seed: 23 }, undefined, (weights) => weights.get("final_norm")?.values.fill(0));
    const loaded = await loadCheckpoint(flat.dir, { threads: 2 });
    const masky = { ...loaded, architecture: { ...loaded.architecture, maskId: 0 } };
    const options = { maxTokens: 8, blockLength: 8, steps: 8, earlyStop: false, stopIds: [] };
    const { result } = await run(masky, { ...options, signal: AbortSignal.timeout(10_000) });
    expect(result.tokens).toHaveLength(8);
    expect(result.tokens).not.toContain(0);
  });

  it("suppressed tokens are never proposed; deferred ones are committed last", async () => {
    const free = await run(llada, {
      maxTokens: 8,
      blockLength: 8,
      sampler: "low_confidence",
      steps: 8,
      earlyStop: false,
      stopIds: [],
    });
    const common = free.result.tokens[0] as number;
    const suppressed = await run(llada, {
      maxTokens: 8,
      blockLength: 8,
      sampler: "low_confidence",
      steps: 8,
      earlyStop: false,
      stopIds: [],
      suppressTokens: [common],
    });
    expect(suppressed.result.tokens).not.toContain(common);
    const firstCommit = free.result.tokens[free.events[0]?.committed[0] as number] as number;
    const deferred = await run(llada, {
      maxTokens: 8,
      blockLength: 8,
      sampler: "low_confidence",
      steps: 8,
      earlyStop: false,
      stopIds: [],
      deferTokens: [firstCommit],
    });
    const firstDeferred = deferred.events[0]?.committed[0] as number;
    expect(deferred.result.tokens[firstDeferred]).not.toBe(firstCommit);
  });

  it("guidance changes the answer and is refused with a cache", async () => {
    const options = { maxTokens: 8, sampler: "low_confidence" as const, steps: 8, earlyStop: false, stopIds: [] };
    const plain = await run(llada, options);
    const guided = await run(llada, { ...options, guidance: 3 });
    expect(guided.result.tokens).toHaveLength(8);
    expect(guided.result.tokens).not.toEqual(plain.result.tokens);
    await expect(generate(llada, prompt, { ...options, guidance: 1, cache: "dual" }).next()).rejects.toThrow(
      /without a KV cache/,
    );
  });

  it("a shorter first block commits its tokens first", async () => {
    const { events } = await run(llada, {
      maxTokens: 12,
      blockLength: 8,
      firstBlockLength: 2,
      sampler: "threshold",
      threshold: 0,
      earlyStop: false,
      stopIds: [],
    });
    expect(events[0]?.block).toBe(0);
    expect(events[0]?.committed).toEqual([0, 1]);
    expect(events[1]?.committed).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events[2]?.committed).toEqual([10, 11]);
  });

  it("infills between a prefix and a suffix", async () => {
    const suffix = [33, 10];
    const events: StepEvent[] = [];
    const iterator = generate(llada, prompt, { maxTokens: 6, suffix, earlyStop: false, stopIds: [], drafts: true });
    let next = await iterator.next();
    while (!next.done) {
      events.push(next.value);
      next = await iterator.next();
    }
    expect(next.value.tokens).toHaveLength(6);
    expect(events[0]?.draft).toHaveLength(6);
    // The first step sees [prompt | 6 masks | suffix]: its one commit (low confidence, one token per
    // step) is the most confident masked row of a direct forward pass over exactly that canvas.
    const { events: steps, result } = await run(llada, {
      maxTokens: 6,
      suffix,
      sampler: "low_confidence",
      steps: 6,
      blockLength: 6,
      earlyStop: false,
      stopIds: [],
    });
    const canvas = Int32Array.from([...prompt, ...Array(6).fill(MASK_ID), ...suffix]);
    const rows = Int32Array.from({ length: 6 }, (_, i) => prompt.length + i);
    const [stats] = await llada.model.forward([
      { tokens: canvas, statRows: rows, sampling: { suppress: Int32Array.of(MASK_ID) } },
    ]);
    const confidence = Array.from(stats?.confidence ?? []);
    const best = confidence.indexOf(Math.max(...confidence));
    expect(steps[0]?.committed).toEqual([best]);
    expect(result.tokens[best]).toBe(stats?.argmax[best]);
  });

  it("drafts: every masked position has an estimate after the first step", async () => {
    const { events } = await run(llada, {
      maxTokens: 12,
      blockLength: 4,
      drafts: true,
      sampler: "low_confidence",
      steps: 12,
      earlyStop: false,
      stopIds: [],
    });
    expect(Array.from(events[0]?.draft ?? []).filter((t) => t === MASK_ID)).toEqual([]);
    const { events: blockOnly } = await run(llada, {
      maxTokens: 12,
      blockLength: 4,
      sampler: "low_confidence",
      steps: 12,
      earlyStop: false,
      stopIds: [],
    });
    expect(
      Array.from(blockOnly[0]?.draft ?? [])
        .slice(4)
        .every((t) => t === MASK_ID),
    ).toBe(true);
  });

  it("an abort signal stops between steps", async () => {
    const controller = new AbortController();
    const iterator = generate(llada, prompt, {
      maxTokens: 32,
      sampler: "low_confidence",
      signal: controller.signal,
      stopIds: [],
    });
    await iterator.next();
    controller.abort(new Error("client went away"));
    await expect(iterator.next()).rejects.toThrow("client went away");
  });

  it("rejects a non-positive length", async () => {
    await expect(generate(llada, prompt, { maxTokens: 0 }).next()).rejects.toThrow(RangeError);
  });
});

describe("tokenizer and chat template from the checkpoint", () => {
  it("round-trips text and renders the template", () => {
    const ids = llada.tokenizer.encode("héllo <|mask|>");
    expect(ids.at(-1)).toBe(MASK_ID);
    expect(llada.tokenizer.decode(ids, { skipSpecialTokens: false })).toBe("héllo <|mask|>");
    expect(llada.tokenizer.decode(ids)).toBe("héllo ");
    expect(llada.tokenizer.decode([])).toBe("");
    expect(llada.chatTemplate?.render([{ role: "user", content: "hi" }])).toBe("<|user|>hi<|assistant|>");
  });
});
