// What the idle timeout measures (the server's silence, nothing else) and how retry waits behave
// (capped, and ended at once by an abort) — against a real loopback server, with real time.
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { APIUserAbortError, InternalServerError, Mercury, RateLimitError } from "../src/index";
import { type LoopbackServer, startLoopbackServer } from "./support/loopback-server";

const params = { model: "mercury-2", messages: [{ role: "user" as const, content: "hi" }] };
const completion = JSON.stringify({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "mercury-2",
  choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
});
const chunk = (text: string) =>
  `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;

let loopback: LoopbackServer | undefined;
afterEach(async () => {
  await loopback?.close();
  loopback = undefined;
});
const client = (options: ConstructorParameters<typeof Mercury>[0] = {}) =>
  new Mercury({ baseURL: loopback?.baseURL, apiKey: "sk", maxRetries: 0, ...options });

/** Writes `pieces` one every `everyMs`, then ends. */
function trickle(response: ServerResponse, pieces: string[], everyMs: number) {
  let i = 0;
  const timer = setInterval(() => {
    if (i < pieces.length) response.write(pieces[i++]);
    else {
      clearInterval(timer);
      response.end();
    }
  }, everyMs);
  response.on("close", () => clearInterval(timer));
}

describe("the idle timeout measures the server's silence", () => {
  it("a 5xx whose body stalls fails after idleTimeout with its status, not after the whole timeout", async () => {
    loopback = await startLoopbackServer((_request, response) => {
      response.writeHead(503, { "content-type": "application/json" });
      response.write('{"error": {"message": "overloaded"'); // and never more
    });
    const started = Date.now();
    const error = await client({ idleTimeout: 300, timeout: 60_000 })
      .chat.completions.create(params)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(30_000); // the 60 s timeout was not waited out
  });

  it("a JSON body that trickles steadily (each gap under the idle timeout) is read whole", async () => {
    loopback = await startLoopbackServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      // 16 pieces 100 ms apart: 1.6 s in all, longer than the 1 s idle timeout; each gap a tenth of it.
      const pieces = completion.match(/.{1,16}/gs) as string[];
      trickle(response, pieces.slice(0, 15).concat(pieces.slice(15).join("")), 100);
    });
    const answer = await client({ idleTimeout: 1_000 }).chat.completions.create(params);
    expect(answer.choices[0]?.message.content).toBe("ok");
  });

  it("a consumer that takes its time between chunks does not trip the idle timeout", async () => {
    loopback = await startLoopbackServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      trickle(response, [chunk("a"), chunk("b"), chunk("c"), "data: [DONE]\n\n"], 20); // never silent for long
    });
    const stream = await client({ idleTimeout: 300 }).chat.completions.create({ ...params, stream: true });
    let text = "";
    for await (const part of stream) {
      text += part.choices[0]?.delta.content ?? "";
      await new Promise((resolve) => setTimeout(resolve, 600)); // busier than the idle timeout
    }
    expect(text).toBe("abc");
  });
});

describe("retry waits", () => {
  it("an abort during a retry-after wait ends the call at once", async () => {
    let attempts = 0;
    loopback = await startLoopbackServer((_request, response) => {
      attempts++;
      response.writeHead(429, { "content-type": "application/json", "retry-after": "30" });
      response.end('{"error": {"message": "slow down"}}');
    });
    const controller = new AbortController();
    const call = client({ maxRetries: 2 }).chat.completions.create(params, { signal: controller.signal });
    while (attempts === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the first attempt failed; the 30 s wait began
    const started = Date.now();
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(APIUserAbortError);
    expect(Date.now() - started).toBeLessThan(5_000); // not the 30 s the server asked for
    expect(attempts).toBe(1);
  });

  it("a retry-after beyond maxRetryWait is not waited: the server's error is thrown", async () => {
    let attempts = 0;
    loopback = await startLoopbackServer((_request, response) => {
      attempts++;
      response.writeHead(429, { "content-type": "application/json", "retry-after": "3600" });
      response.end('{"error": {"message": "come back in an hour"}}');
    });
    const error = await client({ maxRetries: 2 })
      .chat.completions.create(params)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).message).toMatch(/come back in an hour/);
    expect((error as RateLimitError).retryAfterMs).toBe(3_600_000);
    expect(attempts).toBe(1);
  });

  it("a retry-after within maxRetryWait is waited, then the call succeeds", async () => {
    let attempts = 0;
    loopback = await startLoopbackServer((_request, response) => {
      if (attempts++ === 0) {
        response.writeHead(503, { "content-type": "application/json", "retry-after-ms": "50" });
        response.end('{"error": {"message": "busy"}}');
      } else {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(completion);
      }
    });
    const answer = await client({ maxRetries: 1, maxRetryWait: 1_000 }).chat.completions.create(params);
    expect(answer.choices[0]?.message.content).toBe("ok");
    expect(attempts).toBe(2);
  });
});
