// The server under pressure and bad input: API keys, a full queue (503 overloaded), a client that disconnects,
// random and malformed bodies, and a bounded load test — all on loopback.
import { AuthenticationError, Mercury } from "@anneal/sdk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useContractCheck } from "./support/contract";
import { type LocalServer, startLocalServer } from "./support/local-server";

useContractCheck();

const MODEL = "anneal-code-11m";
const messages = [{ role: "user", content: "Count from one to one hundred." }];
const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });

/** Reads a Prometheus sample such as `anneal_running_requests` (labels as written in the output). */
async function metric(origin: string, name: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("API keys", () => {
  let local: LocalServer;
  beforeAll(async () => {
    local = await startLocalServer({ apiKeys: ["sk_test_one", "sk_test_two"] });
  });
  afterAll(() => local.close());

  it("401s a missing or wrong key with the standard body, and admits either right key", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer sk_wrong" },
      { authorization: "sk_test_one" },
    ];
    for (const headers of attempts) {
      const response = await post(local.baseURL, "/chat/completions", { model: MODEL, messages }, headers);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { type: "authentication_error", code: "invalid_api_key" } });
    }
    for (const key of ["sk_test_one", "sk_test_two"]) {
      const response = await fetch(`${local.baseURL}/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
    }
  });

  it("keeps /health public and works through the SDK", async () => {
    expect((await fetch(`${local.origin}/health`)).status).toBe(200);
    const ok = new Mercury({ baseURL: local.baseURL, apiKey: "sk_test_two", maxRetries: 0 });
    expect((await ok.models.list()).data[0]?.id).toBe(MODEL);
    const denied = new Mercury({ baseURL: local.baseURL, apiKey: "sk_nope", maxRetries: 0 });
    await expect(denied.models.list()).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe("capacity and cancellation", () => {
  let local: LocalServer;
  beforeAll(async () => {
    local = await startLocalServer({ maxConcurrent: 1, maxQueue: 0 });
  });
  afterAll(() => local.close());

  /** A long streamed generation (EOS ignored, one token per step) that the test controls. */
  async function longStream(signal: AbortSignal) {
    const response = await post(
      local.baseURL,
      "/chat/completions",
      {
        model: MODEL,
        messages,
        max_tokens: 1000,
        stream: true,
        diffusing: true,
        reasoning_effort: "high",
        ignore_eos: true,
      },
      {},
      signal,
    );
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the first frame: the generation is running
    return reader;
  }

  it("answers 503 overloaded with Retry-After when every slot and queue place is taken", async () => {
    const controller = new AbortController();
    await longStream(controller.signal);
    const refused = await post(local.baseURL, "/chat/completions", { model: MODEL, messages, max_tokens: 4 });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toMatchObject({ error: { type: "unavailable_error", code: "overloaded" } });
    controller.abort();
  });

  it("a client that disconnects stops the engine's work and frees its slot", async () => {
    await expect.poll(() => metric(local.origin, "anneal_running_requests"), { timeout: 5000 }).toBe(0);
    const controller = new AbortController();
    await longStream(controller.signal);
    expect(await metric(local.origin, "anneal_running_requests")).toBe(1);
    controller.abort();
    await expect.poll(() => metric(local.origin, "anneal_running_requests"), { timeout: 2000 }).toBe(0);
    const passes = await metric(local.origin, `anneal_forward_passes_total{model="${MODEL}"}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await metric(local.origin, `anneal_forward_passes_total{model="${MODEL}"}`)).toBe(passes);
    // and the slot serves the next request
    expect((await post(local.baseURL, "/chat/completions", { model: MODEL, messages, max_tokens: 4 })).status).toBe(
      200,
    );
  });
});

describe("bad input and load", () => {
  let local: LocalServer;
  beforeAll(async () => {
    local = await startLocalServer({ maxConcurrent: 2, maxQueue: 4, bodyLimit: 64 * 1024 });
  });
  afterAll(() => local.close());

  it("answers random and malformed bodies with a 4xx JSON error, and stays up", async () => {
    const paths = ["/chat/completions", "/fim/completions", "/edit/completions", "/apply/completions"];
    const body = fc.oneof(
      fc.anything(),
      fc.record({
        model: fc.oneof(fc.string(), fc.integer()),
        messages: fc.anything(),
        max_tokens: fc.oneof(fc.integer(), fc.string(), fc.double()),
      }),
      fc.record({
        model: fc.constant(MODEL),
        messages: fc.array(fc.record({ role: fc.string(), content: fc.anything() }), { maxLength: 3 }),
        temperature: fc.oneof(fc.double(), fc.string()),
      }),
      fc.record({ model: fc.constant(MODEL), prompt: fc.anything(), suffix: fc.anything(), stop: fc.anything() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), body, async (path, value) => {
        const response = await post(local.baseURL, path, value ?? null);
        const json = (await response.json()) as { error?: { message?: unknown } };
        if (response.status === 200) return; // fast-check may build a valid request now and then
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(typeof json.error?.message).toBe("string");
      }),
      { numRuns: 120, seed: 42 },
    );
    for (const raw of ["{", '{"model": }', "[1,2", "\u0000\u0001", "null", "42"]) {
      const response = await post(local.baseURL, "/chat/completions", raw);
      expect(response.status).toBe(400);
    }
    const huge = await post(local.baseURL, "/chat/completions", {
      model: MODEL,
      messages: [{ role: "user", content: "x".repeat(100_000) }],
    });
    expect(huge.status).toBe(413);
    expect((await fetch(`${local.origin}/health`)).status).toBe(200);
  });

  it("a bounded load test: concurrent clients see only answers and 503s, and passes are shared", async () => {
    const deadline = Date.now() + 3000;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < deadline) {
          const response = await post(local.baseURL, "/chat/completions", {
            model: MODEL,
            messages,
            max_tokens: 8,
            ignore_eos: true,
          });
          await response.arrayBuffer();
          statuses.push(response.status);
          if (response.status === 503) await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }),
    );
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(4);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    const text = await (await fetch(`${local.origin}/metrics`)).text();
    const single = Number(
      /anneal_forward_batch_sequences_bucket\{le="1",model="anneal-code-11m"\} (\d+)/.exec(text)?.[1],
    );
    const all = Number(/anneal_forward_batch_sequences_count\{model="anneal-code-11m"\} (\d+)/.exec(text)?.[1]);
    expect(all).toBeGreaterThan(single); // some passes carried two requests at once
  });
});
