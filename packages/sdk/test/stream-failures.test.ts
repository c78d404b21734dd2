// Streams that go wrong: error frames, broken JSON, cut-off bodies, wrong content types, idle servers.
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { type ChatCompletionChunk, MalformedResponseError, StreamError, StreamIdleTimeoutError } from "../src/index";
import {
  BASE_URL,
  fixtureText,
  makeClient,
  type SSEOptions,
  server,
  sseResponse,
  useMockApi,
} from "./support/mock-api";

useMockApi();

const params = { model: "mercury-2", messages: [{ role: "user" as const, content: "hi" }], stream: true as const };

function streamFixture(name: string, options: SSEOptions = {}) {
  server.use(http.post(`${BASE_URL}/chat/completions`, () => sseResponse(fixtureText(name), options)));
}

/** Reads a stream until it throws; returns the chunks seen and the error. */
async function readUntilError(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
  } catch (error) {
    return { chunks, error };
  }
  throw new Error("expected the stream to fail");
}

describe("error frames inside a stream", () => {
  it("an {error} frame throws a StreamError after the chunks before it", async () => {
    streamFixture("chat-mid-stream-error.sse");
    const stream = await makeClient().chat.completions.create(params);
    const { chunks, error } = await readUntilError(stream);

    expect(chunks).toHaveLength(1);
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ status: 503, type: "server_error", requestID: "req_stream_1" });
    expect((error as Error).message).toBe("503 Engine overloaded, try again shortly");
  });

  it("a bare {message} frame (Mercury's form) also throws a StreamError", async () => {
    streamFixture("chat-bare-error.sse");
    const stream = await makeClient().chat.completions.create(params);
    const { chunks, error } = await readUntilError(stream);
    expect(chunks).toHaveLength(1);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toBe("Upstream generation failed");
  });

  it("an `event: error` frame throws a StreamError", async () => {
    server.use(
      http.post(`${BASE_URL}/chat/completions`, () =>
        sseResponse('event: error\ndata: {"error":{"message":"boom","code":"internal"}}\n\n'),
      ),
    );
    const stream = await makeClient().chat.completions.create(params);
    await expect(stream.finalText()).rejects.toThrow(StreamError);
  });
});

describe("broken streams", () => {
  it("a frame that is not JSON throws a MalformedResponseError", async () => {
    streamFixture("chat-malformed.sse");
    const stream = await makeClient().chat.completions.create(params);
    const { chunks, error } = await readUntilError(stream);
    expect(chunks).toHaveLength(1);
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as Error).message).toMatch(/Could not parse a stream frame as JSON/);
  });

  it("a body cut off mid-frame, without [DONE], throws instead of returning a short answer", async () => {
    streamFixture("chat-truncated.sse");
    const stream = await makeClient().chat.completions.create(params);
    const { chunks, error } = await readUntilError(stream);
    expect(chunks).toHaveLength(1);
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as Error).message).toMatch(/ended before \[DONE\]/);
  });

  it("finalResponse() rejects on a cut-off stream", async () => {
    streamFixture("chat-truncated.sse");
    const stream = await makeClient().chat.completions.create(params);
    await expect(stream.finalResponse()).rejects.toBeInstanceOf(MalformedResponseError);
  });

  it("a JSON answer to a stream request is named, not read as an empty stream", async () => {
    server.use(http.post(`${BASE_URL}/chat/completions`, () => HttpResponse.json({ note: "streaming is off" })));
    const stream = await makeClient().chat.completions.create(params);
    await expect(stream.finalText()).rejects.toThrow(/Expected an event stream but got application\/json/);
  });

  it("a frame that is JSON but not an object is malformed", async () => {
    server.use(http.post(`${BASE_URL}/chat/completions`, () => sseResponse("data: 42\n\ndata: [DONE]\n\n")));
    const stream = await makeClient().chat.completions.create(params);
    await expect(stream.finalText()).rejects.toThrow(/not a JSON object/);
  });
});

describe("idle timeout", () => {
  it("closes a stream that stops sending data", async () => {
    streamFixture("chat-stream.sse", { stallAfter: 1 });
    const stream = await makeClient({ idleTimeout: 100 }).chat.completions.create(params);
    const { chunks, error } = await readUntilError(stream);

    expect(chunks).toHaveLength(1);
    expect(error).toBeInstanceOf(StreamIdleTimeoutError);
    expect((error as Error).message).toMatch(/No data received for 100 ms/);
  });

  it("is not reset by keep-alive comments", async () => {
    streamFixture("chat-stream.sse", { stallAfter: 1, whileStalled: { text: ": ping\n\n", intervalMs: 20 } });
    const stream = await makeClient({ idleTimeout: 150 }).chat.completions.create(params);
    const started = Date.now();
    const { error } = await readUntilError(stream);
    expect(error).toBeInstanceOf(StreamIdleTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("is reset by each data event, so a slow but steady stream completes", async () => {
    streamFixture("chat-stream.sse", { delayMs: 60 });
    const stream = await makeClient({ idleTimeout: 150 }).chat.completions.create(params);
    expect(await stream.finalText()).toBe("They refine many token positions in parallel.");
  });

  it("a per-request idleTimeout overrides the client's, and 0 disables it", async () => {
    streamFixture("chat-stream.sse", { delayMs: 120 });
    const stream = await makeClient({ idleTimeout: 50 }).chat.completions.create(params, { idleTimeout: 0 });
    expect(await stream.finalText()).toBe("They refine many token positions in parallel.");
  });
});
