// mercury.fim() and mercury.edit() through the AI SDK: the prompt and suffix (or tagged edit prompt)
// go out as Mercury's requests, the answer comes back as text; settings the endpoint lacks warn.
import { buildNextEditPrompt } from "@anneal/sdk";
import { generateText, streamText } from "ai";
import { describe, expect, it } from "vitest";
import { createMercury } from "../src/index";
import { answer, BASE_URL, json, usage, useRecordedApi } from "./support/recorded-api";

useRecordedApi();
const mercury = createMercury({ baseURL: BASE_URL, apiKey: "sk_test" });

const fimAnswer = {
  id: "cmpl-1",
  object: "text_completion",
  created: 1767225600,
  model: "mercury-edit-2",
  choices: [{ index: 0, text: "a + b", finish_reason: "stop", logprobs: null }],
  usage,
};

describe("mercury.fim", () => {
  it("sends the prompt as the text before the cursor and mercury.suffix after it; temperature warns", async () => {
    const bodies = answer("/fim/completions", () => json(fimAnswer));
    const result = await generateText({
      model: mercury.fim("mercury-edit-2"),
      prompt: "function add(a, b) {\n  return ",
      temperature: 0.5,
      maxOutputTokens: 16,
      providerOptions: { mercury: { suffix: ";\n}\n" } },
    });
    expect(result.text).toBe("a + b");
    expect(bodies[0]).toEqual({
      model: "mercury-edit-2",
      prompt: "function add(a, b) {\n  return ",
      suffix: ";\n}\n",
      max_tokens: 16,
      stream: false,
    });
    expect(result.warnings).toContainEqual({ type: "unsupported", feature: "temperature" });
  });

  it("a JSON response format without a schema asks for a JSON infill; with a schema it warns and is not sent", async () => {
    const bodies = answer("/fim/completions", () => json(fimAnswer));
    const call = (responseFormat: { type: "json"; schema?: object }) =>
      mercury.fim("mercury-edit-2").doGenerate({
        prompt: [{ role: "user", content: [{ type: "text", text: '{"a": ' }] }],
        providerOptions: { mercury: { suffix: "}" } },
        responseFormat,
      });
    const plain = await call({ type: "json" });
    expect(bodies[0]).toMatchObject({ response_format: { type: "json_object" } });
    expect(plain.warnings).toEqual([]);
    const withSchema = await call({ type: "json", schema: { type: "object" } });
    expect(bodies[1]).not.toHaveProperty("response_format");
    expect(withSchema.warnings).toContainEqual({ type: "unsupported", feature: "responseFormat" });
  });

  it("streams its answer as one text part", async () => {
    answer("/fim/completions", () => json(fimAnswer));
    const result = streamText({
      model: mercury.fim("mercury-edit-2"),
      prompt: "x",
      providerOptions: { mercury: { suffix: "y" } },
    });
    expect(await result.text).toBe("a + b");
    expect(await result.usage).toMatchObject({ inputTokens: 20 });
  });
});

describe("mercury.edit", () => {
  it("sends the tagged next-edit prompt as its one user message, without stream", async () => {
    const prompt = buildNextEditPrompt({
      file: { path: "a.ts", content: "const x = 1;\n" },
      cursor: { line: 1, column: 7 },
    });
    const bodies = answer("/edit/completions", () =>
      json({
        id: "e-1",
        object: "edit.completion",
        created: 1767225600,
        model: "mercury-edit-2",
        choices: [
          { index: 0, message: { role: "assistant", content: "```\nconst y = 1;\n```" }, finish_reason: "stop" },
        ],
        usage,
      }),
    );
    const result = await generateText({ model: mercury.edit("mercury-edit-2"), prompt: prompt.content });
    expect(result.text).toBe("```\nconst y = 1;\n```");
    expect(bodies[0]).toEqual({ model: "mercury-edit-2", messages: [{ role: "user", content: prompt.content }] });
  });
});
