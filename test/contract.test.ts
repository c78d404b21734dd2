// The contract check of the end-to-end tests catches what it is there to catch: a missing or
// mistyped field, and a field the schema does not declare, however deep.
import { ChatCompletionSchema } from "@anneal/sdk/schema";
import { describe, expect, it } from "vitest";
import { contractFor, contractProblems } from "./support/contract";

const completion = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, reasoning_tokens: 0, cached_input_tokens: 0 },
};

describe("contractProblems", () => {
  it("passes a response that matches the schema exactly", () => {
    expect(contractProblems(ChatCompletionSchema, completion)).toEqual([]);
  });

  it("names a field the schema does not declare, nested inside an array", () => {
    const drifted = structuredClone(completion) as typeof completion & { choices: Record<string, unknown>[] };
    (drifted.choices[0] as Record<string, unknown>).score = 1;
    expect(contractProblems(ChatCompletionSchema, drifted)).toEqual(["choices[0].score: not in the schema"]);
  });

  it("names a missing or mistyped field", () => {
    const { reasoning_tokens: _, ...usage } = completion.usage;
    expect(contractProblems(ChatCompletionSchema, { ...completion, usage })[0]).toMatch(/^usage.reasoning_tokens:/);
    expect(contractProblems(ChatCompletionSchema, { ...completion, object: "chat" })[0]).toMatch(/^object:/);
  });
});

describe("contractFor", () => {
  it("knows every endpoint's shape, and nothing outside the API", () => {
    expect(contractFor("/v1/chat/completions")?.chunk).toBeDefined();
    expect(contractFor("/v1/edit/completions")?.chunk).toBeUndefined(); // edit never streams
    expect(contractFor("/v1/completions")?.chunk).toBeDefined();
    expect(contractFor("/v1/fim/completions/models")).toBeDefined();
    expect(contractFor("/v1/models/anneal-code-11m")).toBeDefined();
    expect(contractFor("/health")).toBeUndefined();
  });
});
