// The chat model through the AI SDK's own generateText/streamText, against recorded Mercury answers:
// every part type (text, reasoning, tool calls), usage, finish reasons, metadata, Mercury's options,
// diffusing drafts as raw parts, warnings, and errors as the AI SDK's APICallError.
import { APICallError } from "@ai-sdk/provider";
import { generateText, jsonSchema, streamText, tool } from "ai";
import { describe, expect, it } from "vitest";
import { createMercury, draftsOf } from "../src/index";
import { answer, BASE_URL, chunk, json, sse, usage, usageChunk, useRecordedApi } from "./support/recorded-api";

useRecordedApi();
const mercury = createMercury({ baseURL: BASE_URL, apiKey: "sk_test" });
const model = mercury("mercury-2");

const completion = (message: Record<string, unknown>, finish = "stop") => ({
  id: "chatcmpl-9",
  object: "chat.completion",
  created: 1767225600,
  model: "mercury-2",
  choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish }],
  usage,
  reasoning_summary: { content: "Thought about it.", status: "complete" },
});

describe("generateText", () => {
  it("sends the prompt and settings as Mercury's request, Mercury's options included", async () => {
    const bodies = answer("/chat/completions", () => json(completion({ content: "Hi." })));
    await generateText({
      model,
      system: "Be brief.",
      prompt: "Hello",
      maxOutputTokens: 50,
      temperature: 0.7,
      topP: 0.9,
      stopSequences: ["END"],
      seed: 3,
      providerOptions: { mercury: { reasoningEffort: "instant", reasoningSummary: true, realtime: true } },
    });
    expect(bodies[0]).toEqual({
      model: "mercury-2",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello" },
      ],
      max_tokens: 50,
      temperature: 0.7,
      top_p: 0.9,
      stop: ["END"],
      seed: 3,
      reasoning_effort: "instant",
      reasoning_summary: true,
      realtime: true,
    });
  });

  it("reads text, reasoning, usage (cached and reasoning tokens), finish reason and Mercury's metadata", async () => {
    answer("/chat/completions", () => json(completion({ content: "Hi.", reasoning_content: "The user greets." })));
    const result = await generateText({ model, prompt: "Hello" });
    expect(result.text).toBe("Hi.");
    expect(result.reasoningText).toBe("The user greets.");
    expect(result.finishReason).toBe("stop");
    expect(result.usage).toMatchObject({
      inputTokens: 20,
      outputTokens: 12,
      totalTokens: 32,
      reasoningTokens: 4,
      cachedInputTokens: 5,
    });
    expect(result.providerMetadata?.mercury).toEqual({
      reasoningSummary: "Thought about it.",
      reasoningSummaryStatus: "complete",
      forwardPasses: 6,
      tokensPerForward: 2,
    });
    expect(result.response).toMatchObject({ id: "chatcmpl-9", modelId: "mercury-2" });
    expect(result.response.timestamp).toEqual(new Date(1767225600 * 1000));
  });

  it("runs a tool loop: the call goes out as Mercury's tools, the result comes back as a tool message", async () => {
    let turn = 0;
    const bodies = answer("/chat/completions", () =>
      json(
        turn++ === 0
          ? completion(
              {
                content: null,
                tool_calls: [
                  { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } },
                ],
              },
              "tool_calls",
            )
          : completion({ content: "It is 4 °C in Oslo." }),
      ),
    );
    const result = await generateText({
      model,
      prompt: "Weather in Oslo?",
      tools: {
        weather: tool({
          description: "Weather in a city",
          inputSchema: jsonSchema<{ city: string }>({
            type: "object",
            properties: { city: { type: "string" } },
            required: ["city"],
          }),
          execute: async ({ city }) => ({ city, celsius: 4 }),
        }),
      },
      stopWhen: ({ steps }) => steps.length >= 2,
    });
    expect(result.steps[0]?.toolCalls[0]).toMatchObject({ toolName: "weather", input: { city: "Oslo" } });
    expect(result.text).toBe("It is 4 °C in Oslo.");
    expect(bodies[0]).toMatchObject({
      tools: [
        {
          type: "function",
          function: { name: "weather", description: "Weather in a city", parameters: { type: "object" } },
        },
      ],
      tool_choice: "auto",
    });
    expect((bodies[1]?.messages as unknown[] | undefined)?.slice(-2)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: '{"city":"Oslo","celsius":4}' },
    ]);
  });

  it("asks for a strict json_schema when the AI SDK wants JSON with a schema, json_object without one", async () => {
    const bodies = answer("/chat/completions", () => json(completion({ content: '{"a":1}' })));
    const schema = { type: "object" as const, properties: { a: { type: "number" as const } } };
    await model.doGenerate({
      prompt: [{ role: "user", content: [{ type: "text", text: "x" }] }],
      responseFormat: { type: "json", schema, name: "thing" },
    });
    await model.doGenerate({
      prompt: [{ role: "user", content: [{ type: "text", text: "x" }] }],
      responseFormat: { type: "json" },
    });
    expect(bodies[0]?.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "thing", schema, strict: true },
    });
    expect(bodies[1]?.response_format).toEqual({ type: "json_object" });
  });
});

describe("errors", () => {
  it.each([
    [429, true],
    [503, true],
    [400, false],
    [401, false],
  ])("a %i becomes an APICallError with its status and body (retryable: %s)", async (status, retryable) => {
    answer("/chat/completions", () =>
      json({ error: { message: "nope", type: "t", param: null, code: "x" } }, { status }),
    );
    const error = await model.doGenerate({ prompt: [{ role: "user", content: [{ type: "text", text: "x" }] }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: status, isRetryable: retryable, url: `${BASE_URL}/chat/completions` });
    expect((error as APICallError).responseBody).toContain('"nope"');
  });

  it("a connection that fails is a retryable APICallError", async () => {
    const { server } = await import("./support/recorded-api");
    const { http, HttpResponse } = await import("msw");
    server.use(http.post(`${BASE_URL}/chat/completions`, () => HttpResponse.error()));
    const error = await model.doGenerate({ prompt: [{ role: "user", content: [{ type: "text", text: "x" }] }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ isRetryable: true });
  });

  it("an error inside a stream ends it with an error part", async () => {
    answer("/chat/completions", () =>
      sse(chunk({ role: "assistant", content: "Hel" }), { error: { message: "engine died", type: "server_error" } }),
    );
    const { stream } = await model.doStream({ prompt: [{ role: "user", content: [{ type: "text", text: "x" }] }] });
    const parts: { type: string; error?: unknown }[] = [];
    for await (const part of stream as unknown as AsyncIterable<{ type: string; error?: unknown }>) parts.push(part);
    expect(parts.map((p) => p.type)).toEqual([
      "stream-start",
      "response-metadata",
      "text-start",
      "text-delta",
      "error",
      "finish",
    ]);
    expect(String((parts[4]?.error as Error | undefined)?.message)).toContain("engine died");
  });

  it("an aborted call rejects as an abort", async () => {
    answer("/chat/completions", () => json(completion({ content: "late" })));
    const controller = new AbortController();
    controller.abort();
    await expect(
      generateText({ model, prompt: "x", abortSignal: controller.signal, maxRetries: 0 }),
    ).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("streamText", () => {
  it("streams reasoning then text, with usage and finish reason at the end", async () => {
    answer("/chat/completions", () =>
      sse(
        chunk({ role: "assistant", reasoning_content: "Hmm. " }),
        chunk({ content: "Hel" }),
        chunk({ content: "lo." }, "stop", { reasoning_summary: { content: "Greeted back.", status: "complete" } }),
        usageChunk(),
      ),
    );
    const result = streamText({ model, prompt: "Hi", providerOptions: { mercury: { reasoningSummary: true } } });
    const types: string[] = [];
    for await (const part of result.fullStream) types.push(part.type);
    expect(types).toEqual([
      "start",
      "start-step",
      "reasoning-start",
      "reasoning-delta",
      "reasoning-end",
      "text-start",
      "text-delta",
      "text-delta",
      "text-end",
      "finish-step",
      "finish",
    ]);
    expect(await result.text).toBe("Hello.");
    expect(await result.usage).toMatchObject({ inputTokens: 20, outputTokens: 12 });
    expect(await result.finishReason).toBe("stop");
    // The summary arrives on the final chunk; it ends up in the call's Mercury metadata.
    expect((await result.providerMetadata)?.mercury).toMatchObject({
      reasoningSummary: "Greeted back.",
      forwardPasses: 6,
    });
  });

  it("streams tool input as it arrives, then the call", async () => {
    answer("/chat/completions", () =>
      sse(
        chunk({
          role: "assistant",
          tool_calls: [{ index: 0, id: "call_7", type: "function", function: { name: "weather", arguments: '{"ci' } }],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Rome"}' } }] }, "tool_calls"),
        usageChunk(),
      ),
    );
    const result = streamText({
      model,
      prompt: "Weather?",
      tools: {
        weather: tool({
          inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } } }),
        }),
      },
    });
    const parts: { type: string }[] = [];
    for await (const part of result.fullStream) parts.push(part);
    const types = parts.map((p) => p.type);
    expect(types.filter((t) => t.startsWith("tool-"))).toEqual([
      "tool-input-start",
      "tool-input-delta",
      "tool-input-delta",
      "tool-input-end",
      "tool-call",
    ]);
    expect(await result.toolCalls).toMatchObject([
      { toolCallId: "call_7", toolName: "weather", input: { city: "Rome" } },
    ]);
    expect(await result.finishReason).toBe("tool-calls");
  });

  it("diffusing: drafts reach draftsOf as raw parts, and the text stream is the answer once", async () => {
    const bodies = answer("/chat/completions", () =>
      sse(
        chunk({ role: "assistant", content: "H?l?o" }),
        chunk({ content: "Hel?o" }),
        chunk({ content: "Hello" }, "stop"),
        usageChunk(),
      ),
    );
    const result = streamText({
      model,
      prompt: "Hi",
      includeRawChunks: true,
      providerOptions: { mercury: { diffusing: true } },
    });
    const drafts: string[] = [];
    for await (const draft of draftsOf(result)) drafts.push(draft);
    expect(drafts).toEqual(["H?l?o", "Hel?o", "Hello"]);
    expect(await result.text).toBe("Hello");
    expect(bodies[0]).toMatchObject({ stream: true, diffusing: true, stream_options: { include_usage: true } });
  });

  it("diffusing without includeRawChunks warns that the drafts cannot be seen", async () => {
    answer("/chat/completions", () => sse(chunk({ role: "assistant", content: "Hello" }, "stop")));
    const result = streamText({ model, prompt: "Hi", providerOptions: { mercury: { diffusing: true } } });
    expect(await result.text).toBe("Hello");
    expect((await result.warnings)?.map((w) => w.type)).toContain("other");
  });
});

describe("settings", () => {
  it("refuses a wrong Mercury option by name", async () => {
    await expect(
      generateText({ model, prompt: "x", providerOptions: { mercury: { reasoningEffort: "max" } }, maxRetries: 0 }),
    ).rejects.toThrow(/providerOptions\.mercury\.reasoningEffort/);
  });

  it("sends the provider's key and headers, and no Authorization without a key", async () => {
    const seen: Headers[] = [];
    const { server } = await import("./support/recorded-api");
    const { http } = await import("msw");
    server.use(
      http.post(`${BASE_URL}/chat/completions`, ({ request }) => {
        seen.push(request.headers);
        return json(completion({ content: "ok" }));
      }),
    );
    await generateText({
      model: createMercury({ baseURL: BASE_URL, apiKey: "sk_a", headers: { "x-team": "t" } })("m"),
      prompt: "x",
    });
    await generateText({
      model: createMercury({ baseURL: BASE_URL, apiKey: "" })("m"),
      prompt: "x",
      headers: { "x-call": "1" },
    });
    expect(seen[0]?.get("authorization")).toBe("Bearer sk_a");
    expect(seen[0]?.get("x-team")).toBe("t");
    expect(seen[1]?.get("x-call")).toBe("1");
  });
});
