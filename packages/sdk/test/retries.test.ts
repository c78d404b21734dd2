// Retries: which failures are retried, how long the client waits (retry-after, retry-after-ms, backoff).
import { HttpResponse, http } from "msw";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InternalServerError, RateLimitError } from "../src/index";
import { BASE_URL, fixtureJSON, makeClient, server, useMockApi } from "./support/mock-api";

useMockApi();

const params = { model: "mercury-2", messages: [{ role: "user" as const, content: "hi" }] };

/** Fails with each given response in turn, then succeeds; counts the attempts. */
function failThenSucceed(failures: (() => Response)[]) {
  const attempts = { count: 0 };
  server.use(
    http.post(`${BASE_URL}/chat/completions`, () => {
      const failure = failures[attempts.count++];
      return failure ? failure() : HttpResponse.json(fixtureJSON("chat-completion.json"));
    }),
  );
  return attempts;
}

const status =
  (code: number, headers: Record<string, string> = {}) =>
  () =>
    HttpResponse.json({ error: { message: `status ${code}` } }, { status: code, headers });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.spyOn(Math, "random").mockReturnValue(0); // no jitter: backoff is exactly 0.5 s · 2^n
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Lets pending requests and microtasks run without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe("retries", () => {
  it("waits exactly retry-after seconds on 429 before trying again", async () => {
    const attempts = failThenSucceed([status(429, { "retry-after": "2" })]);
    const call = makeClient({ maxRetries: 2 }).chat.completions.create(params);

    await settle();
    expect(attempts.count).toBe(1);
    await vi.advanceTimersByTimeAsync(1999);
    expect(attempts.count).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect((await call).id).toBe("chatcmpl-7f3c2a");
    expect(attempts.count).toBe(2);
  });

  it("prefers retry-after-ms", async () => {
    const attempts = failThenSucceed([status(503, { "retry-after-ms": "250", "retry-after": "30" })]);
    const call = makeClient({ maxRetries: 1 }).chat.completions.create(params);

    await vi.advanceTimersByTimeAsync(249);
    expect(attempts.count).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await call;
    expect(attempts.count).toBe(2);
  });

  it("backs off exponentially without retry-after (0.5 s, then 1 s)", async () => {
    const attempts = failThenSucceed([status(500), status(502)]);
    const call = makeClient({ maxRetries: 2 }).chat.completions.create(params);

    await vi.advanceTimersByTimeAsync(499);
    expect(attempts.count).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts.count).toBe(2);
    await vi.advanceTimersByTimeAsync(999);
    expect(attempts.count).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    await call;
    expect(attempts.count).toBe(3);
  });

  it.each([408, 409, 429, 500, 503])("retries %i", async (code) => {
    const attempts = failThenSucceed([status(code)]);
    const call = makeClient({ maxRetries: 1 }).chat.completions.create(params);
    await vi.advanceTimersByTimeAsync(1000);
    await call;
    expect(attempts.count).toBe(2);
  });

  it.each([400, 401, 403, 404, 422])("does not retry %i", async (code) => {
    const attempts = failThenSucceed([status(code)]);
    const call = makeClient({ maxRetries: 3 }).chat.completions.create(params);
    const outcome = expect(call).rejects.toMatchObject({ status: code });
    await vi.advanceTimersByTimeAsync(10_000);
    await outcome;
    expect(attempts.count).toBe(1);
  });

  it("retries a dropped connection", async () => {
    const attempts = failThenSucceed([() => HttpResponse.error()]);
    const call = makeClient({ maxRetries: 1 }).chat.completions.create(params);
    await vi.advanceTimersByTimeAsync(1000);
    await call;
    expect(attempts.count).toBe(2);
  });

  it("obeys x-should-retry: false", async () => {
    const attempts = failThenSucceed([status(503, { "x-should-retry": "false" })]);
    const call = makeClient({ maxRetries: 2 }).chat.completions.create(params);
    const outcome = expect(call).rejects.toBeInstanceOf(InternalServerError);
    await vi.advanceTimersByTimeAsync(10_000);
    await outcome;
    expect(attempts.count).toBe(1);
  });

  it("gives up after maxRetries and throws the last error; per-request maxRetries wins", async () => {
    const attempts = failThenSucceed([status(429), status(429), status(429), status(429)]);
    const call = makeClient({ maxRetries: 5 }).chat.completions.create(params, { maxRetries: 2 });
    const outcome = expect(call).rejects.toBeInstanceOf(RateLimitError);
    await vi.advanceTimersByTimeAsync(10_000);
    await outcome;
    expect(attempts.count).toBe(3);
  });

  it("retries a stream request that failed before it started", async () => {
    const attempts = { count: 0 };
    server.use(
      http.post(`${BASE_URL}/chat/completions`, () =>
        attempts.count++ === 0
          ? status(503, { "retry-after": "1" })()
          : new HttpResponse(
              'data: {"id":"a","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
              {
                headers: { "content-type": "text/event-stream" },
              },
            ),
      ),
    );
    const call = makeClient({ maxRetries: 1 }).chat.completions.create({ ...params, stream: true });
    await vi.advanceTimersByTimeAsync(1000);
    const stream = await call;
    expect(await stream.finalText()).toBe("ok");
    expect(attempts.count).toBe(2);
  });

  it("never retries once content has streamed: a stream cut after a chunk fails instead of starting over", async () => {
    const attempts = { count: 0 };
    server.use(
      http.post(`${BASE_URL}/chat/completions`, () => {
        attempts.count++;
        let pulls = 0;
        // A chunk, then the connection breaks before [DONE].
        const body = new ReadableStream({
          start(controller) {
            controller.enqueue(
              new TextEncoder().encode(
                'data: {"id":"a","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"half"},"finish_reason":null}]}\n\n',
              ),
            );
          },
          pull(controller) {
            if (++pulls > 1) controller.error(new Error("connection reset"));
          },
        });
        return new HttpResponse(body, { headers: { "content-type": "text/event-stream" } });
      }),
    );
    const stream = await makeClient({ maxRetries: 3 }).chat.completions.create({ ...params, stream: true });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    })();
    const outcome = reading.then(
      () => undefined,
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(10_000); // any back-off would have run by now
    expect(await outcome).toBeInstanceOf(Error);
    expect(seen).toEqual(["half"]);
    expect(attempts.count).toBe(1);
  });
});
