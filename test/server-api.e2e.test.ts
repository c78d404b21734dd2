// The real server with the built-in model, driven by @anneal/sdk, the official openai client and raw
// HTTP: every endpoint, streaming and not, diffusing drafts, the usage chunk, error bodies.
import { Mercury, NotFoundError } from "@anneal/sdk";
import { FIM_DEFAULT_STOP } from "@anneal/sdk/schema";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useContractCheck } from "./support/contract";
import { type LocalServer, startLocalServer } from "./support/local-server";

useContractCheck();

let local: LocalServer;
let client: Mercury;
beforeAll(async () => {
  local = await startLocalServer();
  client = new Mercury({ baseURL: local.baseURL, maxRetries: 0 });
});
afterAll(() => local.close());

const messages = [{ role: "user" as const, content: "Write a function that adds two numbers." }];
const MODEL = "anneal-code-11m";

describe("chat through the SDK", () => {
  it("answers, with usage and the decode statistics", async () => {
    const completion = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 24 });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe(MODEL);
    expect(typeof completion.choices[0]?.message.content).toBe("string");
    expect(["stop", "length"]).toContain(completion.choices[0]?.finish_reason);
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(5);
    expect(completion.usage?.total_tokens).toBe(
      (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
    );
    expect(completion.usage?.forward_passes).toBeGreaterThan(0);
  });

  it("streams deltas that add up to the non-streamed answer (greedy decoding is deterministic)", async () => {
    const params = { model: MODEL, messages, max_tokens: 40, reasoning_effort: "high" as const };
    const whole = await client.chat.completions.create(params);
    const stream = await client.chat.completions.create({ ...params, stream: true });
    const final = await stream.finalResponse();
    expect(final.choices[0]?.message.content ?? "").toBe(whole.choices[0]?.message.content ?? "");
    expect(final.choices[0]?.finish_reason).toBe(whole.choices[0]?.finish_reason);
    expect(stream.usage?.completion_tokens).toBe(whole.usage?.completion_tokens);
  });

  it("diffusing streams whole drafts whose last one is the answer", async () => {
    const params = { model: MODEL, messages, max_tokens: 32, reasoning_effort: "high" as const };
    const whole = await client.chat.completions.create(params);
    const stream = await client.chat.completions.create({ ...params, stream: true, diffusing: true });
    const drafts: string[] = [];
    for await (const draft of stream.drafts()) drafts.push(draft);
    expect(drafts.length).toBeGreaterThan(0);
    expect(drafts.at(-1)).toBe(whole.choices[0]?.message.content ?? "");
  });

  it("canvas: true puts the canvas on every draft: masks only ever resolve, and the last frame reads as the answer", async () => {
    const params = { model: MODEL, messages, max_tokens: 32, reasoning_effort: "high" as const };
    const whole = await client.chat.completions.create(params);
    const stream = await client.chat.completions.create({ ...params, stream: true, diffusing: true, canvas: true });
    const frames = [];
    for await (const chunk of stream) if (chunk.canvas) frames.push(chunk.canvas);
    expect(frames.length).toBeGreaterThan(1);
    const first = frames[0] as NonNullable<(typeof frames)[number]>;
    expect(first.masked.filter(Boolean).length).toBeGreaterThan(0);
    for (const frame of frames) {
      expect(frame.masked).toHaveLength(frame.pieces.length);
      expect(frame.confidence).toHaveLength(frame.pieces.length);
    }
    for (let f = 1; f < frames.length; f++) {
      const [before, after] = [frames[f - 1], frames[f]] as [typeof first, typeof first];
      // A committed position stays committed with the same text, and its confidence is the model's.
      for (let i = 0; i < Math.min(before.pieces.length, after.pieces.length); i++) {
        if (before.masked[i]) continue;
        expect(after.masked[i]).toBe(false);
        expect(after.pieces[i]).toBe(before.pieces[i]);
        expect(after.confidence[i]).toBeGreaterThan(0);
      }
    }
    const last = frames.at(-1) as typeof first;
    expect(last.masked.some(Boolean)).toBe(false);
    expect(last.pieces.join("")).toBe(whole.choices[0]?.message.content ?? "");
  });

  it("honours a stop string", async () => {
    const whole = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 40 });
    const text = whole.choices[0]?.message.content ?? "";
    // Greedy decoding is deterministic: the answer is long enough to cut, at its first two-character
    // run without spaces after the start.
    let at = 1;
    while (at + 2 <= text.length && text.slice(at, at + 2).trim().length < 2) at++;
    const stop = text.slice(at, at + 2);
    expect(stop).toHaveLength(2);
    const cut = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 40, stop: [stop] });
    expect(cut.choices[0]?.message.content).toBe(text.slice(0, text.indexOf(stop)));
    expect(cut.choices[0]?.finish_reason).toBe("stop");
  });
});

describe("FIM, next edit, apply edit, models", () => {
  it("infills between prompt and suffix, streaming and not", async () => {
    const params = {
      model: MODEL,
      prompt: "export function add(a: number, b: number) {\n  return ",
      suffix: ";\n}\n",
      max_tokens: 16,
    };
    const whole = await client.fim.completions.create(params);
    expect(whole.object).toBe("text_completion");
    const stream = await client.fim.completions.create({ ...params, stream: true });
    expect(await stream.finalText()).toBe(whole.choices[0]?.text);
    const legacy = await fetch(`${local.baseURL}/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
    });
    expect(((await legacy.json()) as { choices: { text: string }[] }).choices[0]?.text).toBe(whole.choices[0]?.text);
  });

  it("FIM stops at a blank line unless the request names its own stops (Inception's default)", async () => {
    const params = { model: MODEL, prompt: "function main() {\n  const x = 1;\n", suffix: "", max_tokens: 48 };
    // ignore_eos: greedy decoding then runs on past the closing brace, into blank lines.
    const free = await client.fim.completions.create({ ...params, stop: [], ignore_eos: true });
    const text = free.choices[0]?.text ?? "";
    const cuts = FIM_DEFAULT_STOP.map((stop) => text.indexOf(stop)).filter((at) => at >= 0);
    expect(cuts.length).toBeGreaterThan(0);
    const byDefault = await client.fim.completions.create({ ...params, ignore_eos: true });
    expect(byDefault.choices[0]?.text).toBe(text.slice(0, Math.min(...cuts)));
    expect(byDefault.choices[0]?.finish_reason).toBe("stop");
  });

  it("FIM with response_format json_object keeps the document JSON (a value's place, a member's, a string's inside), streamed too", async () => {
    const gaps = [
      { prompt: '{\n  "name": "add",\n  "version": ', suffix: ',\n  "private": true\n}\n' },
      { prompt: '{"scripts": {"test": "vit', suffix: '"}}' },
      { prompt: '{"name": "add", ', suffix: "}" },
    ];
    for (const gap of gaps) {
      const params = { model: MODEL, ...gap, max_tokens: 12, response_format: { type: "json_object" as const } };
      const whole = await client.fim.completions.create(params);
      const infill = whole.choices[0]?.text ?? "";
      expect(() => JSON.parse(gap.prompt + infill + gap.suffix)).not.toThrow();
      const stream = await client.fim.completions.create({ ...params, stream: true });
      expect(await stream.finalText()).toBe(infill);
    }
  });

  it("FIM json_object refuses a gap that no infill could make JSON, naming where it is, and one max_tokens cannot hold", async () => {
    const json = { model: MODEL, response_format: { type: "json_object" as const } };
    const refused = client.fim.completions.create({ ...json, prompt: '{"a"', suffix: ": 1}" });
    await expect(refused).rejects.toMatchObject({ status: 400, param: "response_format" });
    await expect(refused).rejects.toThrow(/before a colon/);
    const short = client.fim.completions.create({ ...json, prompt: '{"a": 1, ', suffix: "}", max_tokens: 3 });
    await expect(short).rejects.toMatchObject({ status: 400, param: "max_tokens" });
    await expect(short).rejects.toThrow(/needs at least 4/);
  });

  it("next edit answers stream: true with a 400 naming the field (the contract has no stream there)", async () => {
    const response = await fetch(`${local.baseURL}/edit/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "x" }], stream: true }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe("stream");
  });

  it("next edit and apply edit take the tagged prompts", async () => {
    const { buildApplyEditPrompt, buildNextEditPrompt } = await import("@anneal/sdk");
    const edit = buildNextEditPrompt({
      file: { path: "a.ts", content: "const x = 1;\nconst y = x +;\n" },
      cursor: { line: 2, column: 13 },
    });
    const next = await client.edit.completions.create({
      model: "mercury-edit-2",
      messages: edit.messages,
      max_tokens: 24,
    });
    expect(next.object).toBe("edit.completion");
    const apply = buildApplyEditPrompt({ originalCode: "const a = 1;\n", updateSnippet: "const b = 2;\n" });
    const merged = await client.apply.completions.create({
      model: MODEL,
      messages: apply.messages,
      max_tokens: 24,
      stream: true,
    });
    expect(typeof (await merged.finalText())).toBe("string");
  });

  it("lists models, per endpoint too, with context length and capabilities", async () => {
    for (const list of [
      client.models.list(),
      client.models.listChat(),
      client.models.listFim(),
      client.models.listEdit(),
    ]) {
      const [model] = (await list).data;
      expect(model?.id).toBe(MODEL);
      expect(model?.context_length).toBeGreaterThan(256);
      // Tool calls and JSON answers are laid out on the canvas: well formed whatever the model.
      expect(model?.supported_features).toEqual(["tools", "json_mode", "structured_outputs"]);
    }
  });

  it("takes a conversation with text parts, a tool call and a legacy function result", async () => {
    const reply = await client.chat.completions.create({
      model: MODEL,
      max_tokens: 8,
      messages: [
        { role: "user", content: [{ type: "text", text: "What is 2 + 2? Use the calculator." }] },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "add", arguments: '{"a":2,"b":2}' } }],
        },
        { role: "function", name: "add", content: "4" },
      ],
    });
    expect(reply.object).toBe("chat.completion");
    expect(typeof reply.choices[0]?.message.content).toBe("string");
  });

  it("answers Mercury's model names, and 404s an unknown one", async () => {
    const reply = await client.chat.completions.create({ model: "mercury-2", messages, max_tokens: 4 });
    expect(reply.model).toBe(MODEL);
    const unknown = client.chat.completions.create({ model: "gpt-9", messages });
    await expect(unknown).rejects.toBeInstanceOf(NotFoundError);
    await expect(unknown).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });
});

describe("the official openai client", () => {
  it("chats, streams and lists models", async () => {
    const openai = new OpenAI({ baseURL: local.baseURL, apiKey: "unused", maxRetries: 0 });
    const completion = await openai.chat.completions.create({ model: MODEL, messages, max_tokens: 16 });
    expect(completion.choices[0]?.message.role).toBe("assistant");
    const stream = await openai.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 16,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(completion.choices[0]?.message.content ?? "");
    expect(usage).toMatchObject({ prompt_tokens: completion.usage?.prompt_tokens });
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toContain(MODEL);
  });
});

describe("raw HTTP", () => {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${local.baseURL}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("frames SSE as data lines, ends with [DONE], and sends usage only when asked", async () => {
    for (const includeUsage of [false, true]) {
      const response = await post("/chat/completions", {
        model: MODEL,
        messages,
        max_tokens: 12,
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(response.headers.get("x-request-id")).toMatch(/^req_/);
      const frames = (await response.text()).split("\n\n").filter(Boolean);
      expect(frames.every((f) => f.startsWith("data: ") || f.startsWith(":"))).toBe(true);
      expect(frames.at(-1)).toBe("data: [DONE]");
      const payloads = frames
        .slice(0, -1)
        .filter((f) => f.startsWith("data: "))
        .map((f) => JSON.parse(f.slice(6)));
      expect(payloads.some((p) => p.usage)).toBe(includeUsage);
      expect(payloads.filter((p) => p.choices.length > 0).at(-1)?.choices[0].finish_reason).toMatch(/stop|length/);
    }
  });

  it.each([
    { name: "broken JSON", body: "{nope", status: 400, message: /JSON/ },
    { name: "no messages", body: { model: MODEL }, status: 400, message: /messages/ },
    {
      name: "a bad reasoning_effort",
      body: { model: MODEL, messages, reasoning_effort: "banana" },
      status: 400,
      message: /reasoning_effort/,
    },
    {
      name: "diffusing without stream",
      body: { model: MODEL, messages, diffusing: true },
      status: 400,
      message: /diffusing requires stream/,
    },
    {
      name: "canvas without diffusing",
      body: { model: MODEL, messages, stream: true, canvas: true },
      status: 400,
      message: /canvas requires diffusing/,
    },
    {
      name: "max_tokens over the cap",
      body: { model: MODEL, messages, max_tokens: 50_000 },
      status: 400,
      message: /at most 1024/,
    },
    { name: "an unknown model", body: { model: "nope", messages }, status: 404, message: /does not exist/ },
  ])("$name → $status with an OpenAI error body", async ({ body, status, message }) => {
    const response = await post("/chat/completions", body);
    expect(response.status).toBe(status);
    const json = (await response.json()) as { error: { message: string; type: string } };
    expect(json.error.message).toMatch(message);
    expect(typeof json.error.type).toBe("string");
  });

  it("a context overflow names the limit", async () => {
    const long = "word ".repeat(5000);
    const response = await post("/chat/completions", { model: MODEL, messages: [{ role: "user", content: long }] });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "context_length_exceeded",
      message: expect.stringMatching(/context is 4096 tokens/),
    });
  });

  it("wrong content type → 415, unknown route → 404, health and metrics are public", async () => {
    const wrongType = await post("/chat/completions", "a=b", { "content-type": "text/plain" });
    expect(wrongType.status).toBe(415);
    const missing = await fetch(`${local.baseURL}/nothing`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/No route/);
    expect(await (await fetch(`${local.origin}/health`)).json()).toEqual({ status: "ok", models: [MODEL] });
    const metrics = await (await fetch(`${local.origin}/metrics`)).text();
    expect(metrics).toMatch(/anneal_forward_passes_total\{model="anneal-code-11m"\} \d+/);
    expect(metrics).toMatch(/anneal_time_to_first_token_seconds_bucket/);
  });
});

describe("structured output laid out on the canvas", () => {
  const schema = {
    type: "object",
    properties: {
      sentiment: { type: "string", enum: ["positive", "neutral", "negative"] },
      score: { type: "integer", minimum: 1, maximum: 5 },
      keywords: { type: "array", items: { type: "string", maxLength: 12 }, maxItems: 3 },
      summary: { type: "string" },
    },
    required: ["sentiment", "score", "keywords", "summary"],
    additionalProperties: false,
  };
  const request = {
    model: MODEL,
    messages: [{ role: "user" as const, content: "Rate this review: 'Blazing fast and accurate.'" }],
    response_format: { type: "json_schema" as const, json_schema: { name: "review", strict: true, schema } },
  };
  const valid = (text: string) => {
    const value = JSON.parse(text) as { sentiment: string; score: number; keywords: string[] };
    expect(["positive", "neutral", "negative"]).toContain(value.sentiment);
    expect(value.score).toBeGreaterThanOrEqual(1);
    expect(value.score).toBeLessThanOrEqual(5);
    expect(Object.keys(value)).toEqual(["sentiment", "score", "keywords", "summary"]);
    expect(value.keywords.length).toBeLessThanOrEqual(3);
    for (const keyword of value.keywords) expect(keyword.length).toBeLessThanOrEqual(12);
  };

  it("the built-in model's answer parses and matches the schema, first time, in fewer passes than tokens", async () => {
    for (const reasoning_effort of ["instant", "medium", "high"] as const) {
      const completion = await client.chat.completions.create({ ...request, reasoning_effort });
      valid(completion.choices[0]?.message.content ?? "");
      expect(completion.choices[0]?.finish_reason).toBe("stop");
      // The braces, keys and quotes were laid out before the first step: they cost no forward pass.
      expect(completion.usage?.forward_passes).toBeLessThan(completion.usage?.completion_tokens ?? 0);
    }
  });

  it("streams, as deltas and as diffusing drafts that show the template filling in", async () => {
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true });
    expect(await stream.finalText()).toBe(whole.choices[0]?.message.content);
    const diffusing = await client.chat.completions.create({ ...request, stream: true, diffusing: true });
    const drafts: string[] = [];
    for await (const draft of diffusing.drafts()) drafts.push(draft);
    expect(drafts[0]).toMatch(/^\{"sentiment": /); // the template is there from the first draft
    expect(drafts.at(-1)).toBe(whole.choices[0]?.message.content);
  });

  it("concurrent schema and free requests each get their own answer (the server batches concurrent passes)", async () => {
    const free = { model: MODEL, messages, max_tokens: 24 };
    const alone = await client.chat.completions.create(free);
    const [structured, plain, streamed] = await Promise.all([
      client.chat.completions.create(request),
      client.chat.completions.create(free),
      client.chat.completions.create({ ...request, stream: true }).then((stream) => stream.finalText()),
    ]);
    valid(structured.choices[0]?.message.content ?? "");
    valid(streamed);
    // Greedy decoding: the free answer is the one it gets alone, masks of its batch-mates aside.
    expect(plain.choices[0]?.message.content).toBe(alone.choices[0]?.message.content);
  });

  it("json_object answers are JSON objects, decoded under the JSON grammar", async () => {
    for (const max_tokens of [6, 40]) {
      const completion = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "Describe a cat as JSON." }],
        response_format: { type: "json_object" },
        max_tokens,
      });
      const value = JSON.parse(completion.choices[0]?.message.content ?? "") as unknown;
      expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true);
    }
  });

  it("a strict schema with a keyword it cannot lay out is a 400 naming the keyword", async () => {
    const strict = {
      ...request,
      response_format: {
        type: "json_schema" as const,
        json_schema: { name: "code", strict: true, schema: { type: "string", pattern: "^[A-Z]{3}$" } },
      },
    };
    const refused = client.chat.completions.create(strict);
    await expect(refused).rejects.toMatchObject({ status: 400, param: "response_format" });
    await expect(refused).rejects.toThrow(/pattern/);
  });

  it("a schema too big for max_tokens is a 400 saying how many tokens it needs", async () => {
    const refused = client.chat.completions.create({ ...request, max_tokens: 8 });
    await expect(refused).rejects.toMatchObject({ status: 400, param: "max_tokens" });
    await expect(refused).rejects.toThrow(/layout needs \d+ tokens/);
  });
});

describe("tool calls laid out on the canvas", () => {
  const weather = {
    type: "function" as const,
    function: {
      name: "get_weather",
      description: "The weather in a city.",
      parameters: {
        type: "object",
        properties: { city: { type: "string", maxLength: 20 }, unit: { enum: ["celsius", "fahrenheit"] } },
        required: ["city", "unit"],
        additionalProperties: false,
      },
    },
  };
  const messages = [{ role: "user" as const, content: "What is the weather in Paris?" }];
  const expectWeatherCall = (calls: { function: { name: string; arguments: string } }[] | undefined) => {
    expect(calls).toHaveLength(1);
    expect(calls?.[0]?.function.name).toBe("get_weather");
    const args = JSON.parse(calls?.[0]?.function.arguments ?? "") as { city: string; unit: string };
    expect(Object.keys(args)).toEqual(["city", "unit"]);
    expect(args.city.length).toBeLessThanOrEqual(20);
    expect(["celsius", "fahrenheit"]).toContain(args.unit);
  };

  it("a named tool_choice gets a call whose arguments match the function's parameters (SDK)", async () => {
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages,
      tools: [weather],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expectWeatherCall(completion.choices[0]?.message.tool_calls);
  });

  it("tool_choice required with one tool, through the official openai client, streamed too", async () => {
    const openai = new OpenAI({ baseURL: local.baseURL, apiKey: "unused", maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: MODEL,
      messages,
      tools: [weather],
      tool_choice: "required",
    });
    expectWeatherCall(completion.choices[0]?.message.tool_calls as { function: { name: string; arguments: string } }[]);
    const stream = await openai.chat.completions.create({
      model: MODEL,
      messages,
      tools: [weather],
      tool_choice: "required",
      stream: true,
    });
    let name = "";
    let args = "";
    for await (const chunk of stream) {
      const call = chunk.choices[0]?.delta.tool_calls?.[0];
      name += call?.function?.name ?? "";
      args += call?.function?.arguments ?? "";
    }
    expectWeatherCall([{ function: { name, arguments: args } }]);
  });

  const clock = {
    type: "function" as const,
    function: {
      name: "get_time",
      parameters: { type: "object", properties: { zone: { enum: ["UTC", "CET", "PST"] } } },
    },
  };

  it("a response_format sent with tools is named in a warning, not silently dropped", async () => {
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages,
      tools: [weather],
      tool_choice: "required",
      response_format: { type: "json_object" },
    });
    expectWeatherCall(completion.choices[0]?.message.tool_calls);
    expect(completion.warning).toMatch(/response_format/);
  });

  it("tool_choice required with several tools: a call of one of them, matching its parameters", async () => {
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages,
      tools: [weather, clock],
      tool_choice: "required",
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(["get_weather", "get_time"]).toContain(call?.function.name);
    if (call?.function.name === "get_weather") expectWeatherCall(completion.choices[0]?.message.tool_calls);
    else expect(["UTC", "CET", "PST"]).toContain((JSON.parse(call?.function.arguments ?? "") as { zone: string }).zone);
  });

  it("tool_choice auto: either a call that matches its parameters or a plain answer", async () => {
    for (const tool_choice of ["auto" as const, undefined]) {
      const completion = await client.chat.completions.create({
        model: MODEL,
        messages,
        tools: [weather],
        tool_choice,
        max_tokens: 80,
      });
      const message = completion.choices[0]?.message;
      if (message?.tool_calls) expectWeatherCall(message.tool_calls);
      else expect(message?.content ?? "").not.toContain("<tool_call>");
    }
    // A call that cannot fit the answer's length is refused up front, saying what it needs.
    const short = client.chat.completions.create({ model: MODEL, messages, tools: [weather], max_tokens: 24 });
    await expect(short).rejects.toThrow(/tools: the layout needs \d+ tokens/);
  });
});
