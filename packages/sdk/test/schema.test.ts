// The zod schemas accept what the API sends and reject what it would refuse; the fixtures conform to them.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  AnnealErrorBodySchema,
  ApplyCompletionCreateParamsSchema,
  ChatCompletionChunkSchema,
  ChatCompletionCreateParamsSchema,
  ChatCompletionSchema,
  EditCompletionCreateParamsSchema,
  EditCompletionSchema,
  ErrorBodySchema,
  FIM_DEFAULT_STOP,
  FimCompletionChunkSchema,
  FimCompletionCreateParamsSchema,
  FimCompletionSchema,
  ModelListSchema,
} from "../src/schema/index";
import { fixtureJSON, fixtureText } from "./support/fixtures";
import { sseFrames } from "./support/sse-frames";

const chat = { model: "mercury-2", messages: [{ role: "user", content: "hi" }] };

/** The JSON payloads of an SSE fixture, without [DONE] and error frames. */
function payloads(name: string): unknown[] {
  return sseFrames(fixtureText(name))
    .map((frame) => /^data: (.*)$/m.exec(frame)?.[1])
    .filter((data): data is string => !!data && data !== "[DONE]")
    .map((data) => JSON.parse(data) as unknown);
}

describe("request schemas", () => {
  it("accept a full chat request and drop unknown fields", () => {
    const parsed = ChatCompletionCreateParamsSchema.parse({
      ...chat,
      stream: true,
      diffusing: true,
      reasoning_effort: "instant",
      stop: ["a", "b", "c", "d"],
      tools: [{ type: "function", function: { name: "f" } }],
      tool_choice: "required",
      response_format: { type: "json_object" },
      nextEdit: true,
    });
    expect(parsed.reasoning_effort).toBe("instant");
    expect(parsed).not.toHaveProperty("nextEdit");
  });

  it.each([
    ["diffusing without stream", { ...chat, diffusing: true }, "diffusing"],
    ["an unknown reasoning effort", { ...chat, reasoning_effort: "banana" }, "reasoning_effort"],
    ["five stop sequences", { ...chat, stop: ["a", "b", "c", "d", "e"] }, "stop"],
    ["no messages", { ...chat, messages: [] }, "messages"],
    ["a developer message", { ...chat, messages: [{ role: "developer", content: "x" }] }, "messages"],
    ["max_tokens 0", { ...chat, max_tokens: 0 }, "max_tokens"],
    ["a fractional max_tokens", { ...chat, max_tokens: 1.5 }, "max_tokens"],
    ["a string temperature", { ...chat, temperature: "hot" }, "temperature"],
  ])("reject %s, naming the field", (_, body, field) => {
    const result = ChatCompletionCreateParamsSchema.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path[0])).toContain(field);
  });

  it("edit and apply take exactly one user message", () => {
    const one = { model: "mercury-edit-2", messages: [{ role: "user", content: "<|original_code|>…" }] };
    expect(EditCompletionCreateParamsSchema.safeParse(one).success).toBe(true);
    expect(ApplyCompletionCreateParamsSchema.safeParse(one).success).toBe(true);
    const two = { ...one, messages: [...one.messages, ...one.messages] };
    expect(EditCompletionCreateParamsSchema.safeParse(two).success).toBe(false);
    expect(
      ApplyCompletionCreateParamsSchema.safeParse({ ...one, messages: [{ role: "system", content: "x" }] }).success,
    ).toBe(false);
  });

  it("edit has no stream field (July 2026): it is dropped, as unknown fields are; apply keeps it", () => {
    const one = { model: "mercury-edit-2", messages: [{ role: "user", content: "x" }], stream: true };
    expect(EditCompletionCreateParamsSchema.parse(one)).not.toHaveProperty("stream");
    expect(ApplyCompletionCreateParamsSchema.parse(one)).toHaveProperty("stream", true);
  });

  it("FIM has no temperature, top_k within −1…1000, and the blank-line default stop", () => {
    const parsed = FimCompletionCreateParamsSchema.parse({ model: "m", prompt: "a", temperature: 0.5, top_k: 1000 });
    expect(parsed).not.toHaveProperty("temperature");
    expect(FimCompletionCreateParamsSchema.safeParse({ model: "m", prompt: "a", top_k: 1001 }).success).toBe(false);
    expect(FimCompletionCreateParamsSchema.safeParse({ model: "m", prompt: "a", top_k: -2 }).success).toBe(false);
    expect(FIM_DEFAULT_STOP).toEqual(["\n\n", "\n \n"]);
  });

  it("chat takes function messages, text parts, tool_choice none and strict schemas", () => {
    const parsed = ChatCompletionCreateParamsSchema.parse({
      ...chat,
      messages: [
        { role: "user", content: [{ type: "text", text: "weather?" }] },
        { role: "function", name: "weather", content: '{"c":21}' },
      ],
      tools: [{ type: "function", function: { name: "weather", parameters: { type: "object" }, strict: true } }],
      tool_choice: "none",
      response_format: { type: "json_schema", json_schema: { name: "w", schema: { type: "object" }, strict: true } },
    });
    expect(parsed.messages[1]).toEqual({ role: "function", name: "weather", content: '{"c":21}' });
    expect(parsed.tool_choice).toBe("none");
  });

  it("FIM takes response_format text or json_object (Anneal extension), not json_schema", () => {
    const base = { model: "m", prompt: '{"a": ', suffix: "}" };
    for (const type of ["text", "json_object"] as const) {
      expect(FimCompletionCreateParamsSchema.parse({ ...base, response_format: { type } }).response_format).toEqual({
        type,
      });
    }
    const schema = { type: "json_schema", json_schema: { name: "x", schema: {} } };
    expect(FimCompletionCreateParamsSchema.safeParse({ ...base, response_format: schema }).success).toBe(false);
  });

  it("FIM needs a prompt; the suffix is optional", () => {
    expect(FimCompletionCreateParamsSchema.safeParse({ model: "m", prompt: "a" }).success).toBe(true);
    expect(FimCompletionCreateParamsSchema.safeParse({ model: "m", suffix: "b" }).success).toBe(false);
  });
});

describe("the fixtures conform to the response schemas", () => {
  it("JSON responses", () => {
    expect(() => ChatCompletionSchema.parse(fixtureJSON("chat-completion.json"))).not.toThrow();
    expect(() => EditCompletionSchema.parse(fixtureJSON("edit-completion.json"))).not.toThrow();
    expect(() => EditCompletionSchema.parse(fixtureJSON("edit-no-suggestion.json"))).not.toThrow();
    expect(() => ChatCompletionSchema.parse(fixtureJSON("apply-completion.json"))).not.toThrow();
    expect(() => FimCompletionSchema.parse(fixtureJSON("fim-completion.json"))).not.toThrow();
    expect(() => ModelListSchema.parse(fixtureJSON("models.json"))).not.toThrow();
    expect(() => ErrorBodySchema.parse(fixtureJSON("error-validation.json"))).not.toThrow();
  });

  const streams = readdirSync(new URL("./fixtures/", import.meta.url)).filter(
    (name) => name.endsWith(".sse") && !/error|malformed|truncated/.test(name),
  );
  it.each(streams)("chunks of %s", (name) => {
    const schema = name.startsWith("fim") ? FimCompletionChunkSchema : ChatCompletionChunkSchema;
    const chunks = payloads(name);
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) expect(() => schema.parse(chunk)).not.toThrow();
  });
});

describe("error codes", () => {
  const body = (code: string | null) => ({ error: { message: "m", type: "t", param: null, code } });

  it("Anneal's closed error body takes the contract's codes and Anneal's own", () => {
    for (const code of ["model_not_found", "rate_limit_reached", "overloaded", "invalid_request", null]) {
      expect(AnnealErrorBodySchema.safeParse(body(code)).success).toBe(true);
    }
    expect(AnnealErrorBodySchema.safeParse(body("server_busy")).success).toBe(false);
  });

  it("the open error body takes any code another server sends", () => {
    expect(ErrorBodySchema.safeParse(body("something_new")).success).toBe(true);
  });
});
