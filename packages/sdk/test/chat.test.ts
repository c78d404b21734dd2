// chat.completions: request bodies, typed responses, and every streaming helper (append, diffusing, tools, summaries).
import { HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import {
  answerPosts,
  collect,
  fixtureJSON,
  fixtureText,
  makeClient,
  sseResponse,
  useMockApi,
} from "./support/mock-api";

useMockApi();

const messages = [{ role: "user" as const, content: "Why do diffusion LLMs decode quickly?" }];

const chatEndpoint = (respond: () => Response) => answerPosts("/chat/completions", respond);

describe("chat.completions.create without streaming", () => {
  it("sends every Mercury field as given and returns the completion", async () => {
    const bodies = chatEndpoint(() =>
      HttpResponse.json(fixtureJSON("chat-completion.json"), { headers: { "x-request-id": "req_123" } }),
    );
    const params = {
      model: "mercury-2",
      messages,
      max_tokens: 512,
      reasoning_effort: "low" as const,
      reasoning_summary: true,
      reasoning_summary_wait: false,
      realtime: true,
      stop: ["\n\n"],
      tools: [{ type: "function" as const, function: { name: "f", parameters: { type: "object" } } }],
      tool_choice: "auto" as const,
      response_format: {
        type: "json_schema" as const,
        json_schema: { name: "s", strict: true, schema: { type: "object" } },
      },
    };
    const completion = await makeClient().chat.completions.create(params);

    expect(bodies).toEqual([params]);
    expect(completion.choices[0]?.message.content).toMatch(/^They refine/);
    expect(completion.usage?.reasoning_tokens).toBe(36);
    expect(completion.reasoning_summary?.status).toBe("complete");
    expect((completion as unknown as { _request_id: string })._request_id).toBe("req_123");
    expect(Object.keys(completion)).not.toContain("_request_id");
  });

  it("gives the raw response and request id through withResponse()", async () => {
    chatEndpoint(() =>
      HttpResponse.json(fixtureJSON("chat-completion.json"), { headers: { "x-request-id": "req_9" } }),
    );
    const { data, response, request_id } = await makeClient()
      .chat.completions.create({ model: "mercury-2", messages })
      .withResponse();
    expect(request_id).toBe("req_9");
    expect(response.status).toBe(200);
    expect(data.id).toBe("chatcmpl-7f3c2a");
  });

  it("merges extraBody into the request body", async () => {
    const bodies = chatEndpoint(() => HttpResponse.json(fixtureJSON("chat-completion.json")));
    await makeClient().chat.completions.create({ model: "mercury-2", messages }, { extraBody: { nextEdit: true } });
    expect(bodies[0]).toMatchObject({ model: "mercury-2", nextEdit: true });
  });
});

describe("chat.completions.create with stream: true", () => {
  it("yields chunks, appends deltas and asks for usage by default", async () => {
    const bodies = chatEndpoint(() => sseResponse(fixtureText("chat-stream.sse")));
    const stream = await makeClient().chat.completions.create({ model: "mercury-2", messages, stream: true });
    const chunks = await collect(stream);

    expect(bodies[0]?.stream_options).toEqual({ include_usage: true });
    expect(chunks).toHaveLength(3);
    const final = await stream.finalResponse();
    expect(final.choices[0]?.message.content).toBe("They refine many token positions in parallel.");
    expect(final.choices[0]?.finish_reason).toBe("stop");
    expect(final.usage).toMatchObject({ total_tokens: 89, reasoning_tokens: 12 });
    expect(stream.usage?.prompt_tokens).toBe(31);
    expect(stream.requestID).toBe("req_stream_1");
  });

  it("leaves stream_options alone when the caller set them", async () => {
    const bodies = chatEndpoint(() => sseResponse(fixtureText("chat-stream.sse")));
    const stream = await makeClient().chat.completions.create({
      model: "mercury-2",
      messages,
      stream: true,
      stream_options: { include_usage: false },
    });
    await stream.finalText();
    expect(bodies[0]?.stream_options).toEqual({ include_usage: false });
  });

  it("finalText() reads the whole stream", async () => {
    chatEndpoint(() => sseResponse(fixtureText("chat-stream.sse")));
    const stream = await makeClient().chat.completions.create({ model: "mercury-2", messages, stream: true });
    expect(await stream.finalText()).toBe("They refine many token positions in parallel.");
  });

  it("drafts() of an append stream grows with each delta", async () => {
    chatEndpoint(() => sseResponse(fixtureText("chat-stream.sse")));
    const stream = await makeClient().chat.completions.create({ model: "mercury-2", messages, stream: true });
    expect(await collect(stream.drafts())).toEqual([
      "They refine many token ",
      "They refine many token positions in parallel.",
    ]);
  });

  it("a stream can be read only once", async () => {
    chatEndpoint(() => sseResponse(fixtureText("chat-stream.sse")));
    const stream = await makeClient().chat.completions.create({ model: "mercury-2", messages, stream: true });
    await collect(stream);
    await expect(collect(stream)).rejects.toThrow(/already been read/);
    expect(await stream.finalText()).toBe("They refine many token positions in parallel.");
  });
});

describe("diffusing streams", () => {
  it("replace the draft with each frame instead of appending", async () => {
    const bodies = chatEndpoint(() => sseResponse(fixtureText("chat-diffusing.sse")));
    const stream = await makeClient().chat.completions.create({
      model: "mercury-2",
      messages,
      stream: true,
      diffusing: true,
    });
    const drafts = await collect(stream.drafts());

    expect(bodies[0]).toMatchObject({ stream: true, diffusing: true });
    expect(drafts).toEqual([
      "Thq rxfine mqny tokXn pos#tions iw parall3l.",
      "They refine many token posetions in parallel.",
      "They refine many token positions in parallel.",
    ]);
    const final = await stream.finalResponse();
    expect(final.choices[0]?.message.content).toBe("They refine many token positions in parallel.");
    expect(final.usage?.completion_tokens).toBe(9);
  });

  it("would be garbage if appended: the same frames without diffusing concatenate", async () => {
    chatEndpoint(() => sseResponse(fixtureText("chat-diffusing.sse")));
    const stream = await makeClient().chat.completions.create({ model: "mercury-2", messages, stream: true });
    expect((await stream.finalText()).length).toBeGreaterThan(100);
  });
});

describe("tool calls and reasoning summaries in streams", () => {
  it("accumulates parallel tool-call fragments by index", async () => {
    chatEndpoint(() => sseResponse(fixtureText("chat-tool-calls.sse")));
    const stream = await makeClient().chat.completions.create({ model: "mercury-2", messages, stream: true });
    const final = await stream.finalResponse();

    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    expect(final.choices[0]?.message.tool_calls).toEqual([
      { id: "call_weather_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      { id: "call_time_2", type: "function", function: { name: "get_time", arguments: '{"zone":"CET"}' } },
    ]);
    expect(final.choices[0]?.message.content).toBeNull();
  });

  it("joins top-level reasoning summaries and keeps the warning", async () => {
    chatEndpoint(() => sseResponse(fixtureText("chat-reasoning-summary.sse")));
    const stream = await makeClient().chat.completions.create({
      model: "mercury-2",
      messages,
      stream: true,
      reasoning_summary_wait: true,
    });
    const final = await stream.finalResponse();

    expect(final.choices[0]?.message.content).toBe("42");
    expect(final.reasoning_summary).toEqual({
      content: "Multiplied six by seven.\nChecked the product.",
      status: "complete",
    });
    expect(final.warning).toMatch(/billed/);
    expect(final.usage?.reasoning_tokens).toBe(39);
  });

  it("ignores keep-alive comments and named message events", async () => {
    chatEndpoint(() => sseResponse(fixtureText("chat-keepalive.sse")));
    const stream = await makeClient().chat.completions.create({ model: "mercury-2", messages, stream: true });
    expect(await stream.finalText()).toBe("Hello there");
  });
});
