// edit.completions and apply.completions: the tagged prompt goes out as one user message; the reply is parsed.
import { HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import {
  applyNextEdit,
  buildApplyEditPrompt,
  buildNextEditPrompt,
  parseApplyEditReply,
  parseNextEditReply,
} from "../src/index";
import { answerPosts, fixtureJSON, makeClient, sseResponse, useMockApi } from "./support/mock-api";

useMockApi();

type TaggedBody = { messages: { role: string; content: string }[] };
const endpoint = (path: string, fixture: string) =>
  answerPosts<TaggedBody>(path, () => HttpResponse.json(fixtureJSON(fixture)));

const file = { path: "stats.py", content: "def mean(values):\n    return sum(xs) / len(xs)\n" };

describe("edit.completions (next edit)", () => {
  it("sends the built prompt and yields a suggestion that can be applied", async () => {
    const bodies = endpoint("/edit/completions", "edit-completion.json");
    const prompt = buildNextEditPrompt({ file, cursor: { line: 2, column: 18 } });
    const completion = await makeClient().edit.completions.create({
      model: "mercury-edit-2",
      messages: prompt.messages,
    });
    const suggestion = parseNextEditReply(completion.choices[0]?.message.content, prompt);

    expect(bodies[0]?.messages).toEqual([{ role: "user", content: prompt.content }]);
    expect(bodies[0]?.messages[0]?.content).toContain("return sum(xs<|cursor|>) / len(xs)");
    expect(suggestion).toEqual({ kind: "edit", text: "def mean(values):\n    return sum(values) / len(values)" });
    expect(applyNextEdit(prompt, suggestion)).toBe("def mean(values):\n    return sum(values) / len(values)\n");
  });

  it("reads `None` as no suggestion", async () => {
    endpoint("/edit/completions", "edit-no-suggestion.json");
    const prompt = buildNextEditPrompt({ file, cursor: { line: 1, column: 1 } });
    const completion = await makeClient().edit.completions.create({
      model: "mercury-edit-2",
      messages: prompt.messages,
    });
    expect(parseNextEditReply(completion.choices[0]?.message.content, prompt)).toEqual({ kind: "none" });
  });

  it("sends no stream field and reads an edit.completion", async () => {
    const bodies = endpoint("/edit/completions", "edit-completion.json");
    const completion = await makeClient().edit.completions.create({
      model: "mercury-edit-2",
      messages: [{ role: "user", content: "<|current_file_content|>…" }],
    });
    expect(bodies[0]).not.toHaveProperty("stream");
    expect(completion.object).toBe("edit.completion");
  });
});

describe("apply.completions (apply edit)", () => {
  it("sends original code and update snippet and returns the merged code", async () => {
    const bodies = endpoint("/apply/completions", "apply-completion.json");
    const prompt = buildApplyEditPrompt({
      originalCode:
        "class Counter:\n    def __init__(self):\n        self.n = 0\n\n    def inc(self):\n        self.n += 1\n",
      updateSnippet: "// ... existing code ...\n    def reset(self):\n        self.n = 0\n",
    });
    const completion = await makeClient().apply.completions.create({
      model: "mercury-edit-2",
      messages: prompt.messages,
    });

    expect(bodies[0]?.messages[0]?.content).toBe(prompt.content);
    expect(prompt.content).toMatch(/^<\|original_code\|>\nclass Counter:/);
    expect(parseApplyEditReply(completion.choices[0]?.message.content)).toContain("def reset(self):");
  });

  it("streams the merged code as append deltas", async () => {
    const bodies = answerPosts("/apply/completions", () =>
      sseResponse(
        'data: {"id":"a","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"a = 1\\n"},"finish_reason":null}]}\n\n' +
          'data: {"id":"a","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"b = 2\\n"},"finish_reason":"stop"}]}\n\n' +
          'data: {"id":"a","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":8,"total_tokens":17}}\n\n' +
          "data: [DONE]\n\n",
      ),
    );
    const prompt = buildApplyEditPrompt({ originalCode: "a = 1\n", updateSnippet: "b = 2\n" });
    const stream = await makeClient().apply.completions.create({
      model: "mercury-edit-2",
      messages: prompt.messages,
      stream: true,
    });
    const final = await stream.finalResponse();
    expect(bodies[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(parseApplyEditReply(final.choices[0]?.message.content)).toBe("a = 1\nb = 2\n");
    expect(final.usage?.total_tokens).toBe(17);
  });
});
