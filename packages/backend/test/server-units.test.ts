// Server parts on their own: admission control, the forward batcher, stop strings, tool-call parsing,
// the effort mapping, API-key checks and JSON-output checks.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { NativeModel, NativeSequence, NativeStats } from "../src/native";
import { Admission, QueueFullError } from "../src/server/admission";
import { ApiKeys } from "../src/server/auth";
import { parseToolCalls } from "../src/server/chat-prompt";
import { decodingBudget } from "../src/server/decoding-budget";
import { ForwardBatcher } from "../src/server/forward-batcher";
import { outputCheck } from "../src/server/json-output";
import type { ServedModel } from "../src/server/served-model";
import { structuredOutput } from "../src/server/structured-output";
import { cutAtStop } from "../src/server/text-stream";

describe("Admission", () => {
  it("runs up to the limit, queues up to the queue size, refuses the rest, and hands slots on", async () => {
    const admission = new Admission(1, 1);
    const first = await admission.acquire();
    const second = admission.acquire();
    await expect(admission.acquire()).rejects.toBeInstanceOf(QueueFullError);
    expect([admission.running, admission.queued]).toEqual([1, 1]);
    first();
    const release = await second;
    expect([admission.running, admission.queued]).toEqual([1, 0]);
    release();
    release(); // releasing twice is harmless
    expect(admission.running).toBe(0);
  });

  it("a waiter whose signal aborts leaves the queue; an aborted signal is refused at once", async () => {
    const admission = new Admission(1, 2);
    const held = await admission.acquire();
    const controller = new AbortController();
    const waiting = admission.acquire(controller.signal);
    controller.abort(new Error("gone"));
    await expect(waiting).rejects.toThrow("gone");
    expect(admission.queued).toBe(0);
    await expect(admission.acquire(AbortSignal.abort(new Error("already")))).rejects.toThrow("already");
    held();
  });
});

describe("ForwardBatcher", () => {
  const stats = (n: number): NativeStats => ({
    argmax: Int32Array.of(n),
    confidence: new Float32Array(1),
    margin: new Float32Array(1),
    entropy: new Float32Array(1),
    sample: Int32Array.of(n),
    sampleProb: new Float32Array(1),
  });
  const sequence = (id: number): NativeSequence => ({ tokens: Int32Array.of(id), statRows: Int32Array.of(0) });

  it("joins calls made in the same turn into one pass and gives each caller its share", async () => {
    const passes: number[] = [];
    const model = {
      forward: async (seqs: NativeSequence[]) => {
        passes.push(seqs.length);
        return seqs.map((s) => stats(s.tokens[0] as number));
      },
    } as unknown as NativeModel;
    const batcher = new ForwardBatcher(model);
    const [a, b, c] = await Promise.all([
      batcher.forward([sequence(1)]),
      batcher.forward([sequence(2), sequence(3)]),
      batcher.forward([sequence(4)]),
    ]);
    expect(passes).toEqual([4]);
    expect([a, b, c].map((r) => r.map((s) => s.argmax[0]))).toEqual([[1], [2, 3], [4]]);
  });

  it("when a joint pass fails, reruns each caller alone so only the bad one fails", async () => {
    const model = {
      forward: async (seqs: NativeSequence[]) => {
        if (seqs.some((s) => s.tokens[0] === 99)) throw new Error("bad token");
        return seqs.map((s) => stats(s.tokens[0] as number));
      },
    } as unknown as NativeModel;
    const batcher = new ForwardBatcher(model);
    const good = batcher.forward([sequence(1)]);
    const bad = batcher.forward([sequence(99)]);
    await expect(bad).rejects.toThrow("bad token");
    expect((await good)[0]?.argmax[0]).toBe(1);
  });
});

describe("text helpers", () => {
  it("cutAtStop cuts at the earliest stop string", () => {
    expect(cutAtStop("a = 1;\nb = 2;", ["\n", ";"])).toEqual({ text: "a = 1", stopped: true });
    expect(cutAtStop("abc", ["x", ""])).toEqual({ text: "abc", stopped: false });
  });

  it("parseToolCalls turns <tool_call> blocks into calls and keeps the rest", () => {
    const parsed = parseToolCalls(
      'Let me check.<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>',
    );
    expect(parsed).toEqual({
      content: "Let me check.",
      calls: [{ name: "get_weather", arguments: '{"city":"Paris"}' }],
    });
    expect(parseToolCalls("<tool_call>not json</tool_call>").calls).toEqual([]);
  });

  it("the effort mapping sets the denoising budget; realtime shrinks the first block", () => {
    expect(decodingBudget("instant", false, 64)).toMatchObject({ sampler: "threshold", threshold: 0.5, cache: "dual" });
    expect(decodingBudget(undefined, false, 64)).toMatchObject({ sampler: "threshold", threshold: 0.9 });
    expect(decodingBudget("high", true, 64)).toMatchObject({
      sampler: "low_confidence",
      steps: 64,
      firstBlockLength: 8,
    });
    expect(decodingBudget("high", true, 64)).not.toHaveProperty("threshold");
    // LLaDA2's published decoding: at least one a step, and every position above its own threshold
    expect(decodingBudget("high", false, 64, "threshold_quota", 0.95)).toMatchObject({
      sampler: "threshold_quota",
      threshold: 0.95,
      steps: 64,
    });
  });
});

describe("keys and JSON output", () => {
  it("accepts only a listed bearer key", () => {
    const keys = new ApiKeys(["sk_a", "sk_b"]);
    expect([
      keys.allows("Bearer sk_a"),
      keys.allows("bearer sk_b"),
      keys.allows("Bearer sk_c"),
      keys.allows(undefined),
      keys.allows("sk_a"),
    ]).toEqual([true, true, false, false, false]);
    expect(new ApiKeys([]).allows(undefined)).toBe(true);
  });

  it("checks answers against json_object and json_schema, and refuses a broken schema", () => {
    const format = {
      type: "json_schema" as const,
      json_schema: { name: "n", schema: { type: "object", properties: { a: { type: "number" } }, required: ["a"] } },
    };
    const check = outputCheck(format) as (text: string) => string | undefined;
    expect(check('{"a": 1}')).toBeUndefined();
    expect(check('{"a": "x"}')).toMatch(/does not match the schema/);
    const object = outputCheck({ type: "json_object" }) as (text: string) => string | undefined;
    expect(object("nope")).toMatch(/not valid JSON/);
    expect(object("[1]")).toMatch(/not a JSON object/);
    expect(outputCheck({ type: "text" })).toBeUndefined();
    expect(() =>
      outputCheck({ type: "json_schema", json_schema: { name: "n", schema: { type: "nonsense" } } }),
    ).toThrow(/not a valid JSON Schema/);
  });

  it("compiles a schema with $id for every request, not once", () => {
    // Each request brings its own copy of the schema, as JSON bodies do.
    const format = () => ({
      type: "json_schema" as const,
      json_schema: { name: "n", schema: { $id: "https://example.com/point", type: "object" } },
    });
    for (let i = 0; i < 3; i++) expect((outputCheck(format()) as (t: string) => unknown)("{}")).toBeUndefined();
  });

  it("keeps nothing of a request's schema once the request is done (1,000 schemas, all collected)", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    // The requests run in their own function, so that no stack slot of this one still holds a schema.
    const serve = (refs: WeakRef<object>[]) => {
      for (let i = 0; i < 1000; i++) {
        const schema = { type: "object", properties: { [`field${i}`]: { type: "number" } } };
        refs.push(new WeakRef(schema));
        outputCheck({ type: "json_schema", json_schema: { name: "n", schema } })?.(`{"field${i}": 1}`);
      }
    };
    const refs: WeakRef<object>[] = [];
    serve(refs);
    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    expect(refs.filter((ref) => ref.deref() !== undefined).length).toBe(0);
  }, 60_000); // a thousand compilations on a busy machine
});

describe("how a response_format is met", () => {
  // The planner refuses before it touches the model, so no model is needed to see the refusal.
  const served = {} as ServedModel;
  const format = (strict: boolean) => ({
    type: "json_schema" as const,
    json_schema: { name: "code", strict, schema: { type: "string", pattern: "^[A-Z]{3}$" } },
  });

  it("a strict schema with a keyword the planner cannot lay out is a 400 naming it", () => {
    expect(() => structuredOutput(served, format(true))).toThrow(/pattern/);
  });

  it("a non-strict one takes the validate-and-retry path, with a warning naming the keyword", () => {
    const plan = structuredOutput(served, format(false));
    expect(plan.kind).toBe("retry");
    expect(plan.kind === "retry" ? plan.warning : "").toMatch(/pattern .*generated freely and validated/);
  });

  it("no response_format, or text, needs nothing", () => {
    expect(structuredOutput(served, undefined).kind).toBe("none");
    expect(structuredOutput(served, { type: "text" }).kind).toBe("none");
  });
});
