// The server against an attacker on loopback: URL tricks around the API key, malformed HTTP,
// oversized bodies and clients that never finish their request — with the real server and model.
import { createServer, defaultModelDir } from "@anneal/backend";
import { Mercury } from "@anneal/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useContractCheck } from "./support/contract";
import { type LocalServer, startLocalServer } from "./support/local-server";
import { openSocket, parseResponse, rawRequest, readAll } from "./support/raw-http";

useContractCheck();

const KEY = "sk_attack_test";
const chatBody = JSON.stringify({ model: "mercury-2", messages: [{ role: "user", content: "hi" }], max_tokens: 4 });
const json = { "content-type": "application/json" };

describe("the API key cannot be walked around", () => {
  let local: LocalServer;
  beforeAll(async () => {
    local = await startLocalServer({ apiKeys: [KEY] });
  });
  afterAll(() => local.close());

  const targets: [string, string][] = [
    ["GET", "/%761/models"], // percent-encoded "v"
    ["POST", "/%761/chat/completions"],
    ["POST", "/v%31/fim/completions"], // percent-encoded "1"
    ["GET", "http://evil.example/v1/models"], // absolute-form request target
    ["GET", "//v1/models"], // doubled slash
    ["GET", "/x/../v1/models"], // dot segment
    ["GET", "/v1/./models"],
    ["GET", "/V1/models"], // case
    ["GET", "/v1/models/"],
    ["GET", "/v1/models?x=1"],
    ["GET", "/metrics"], // not public unless configured
  ];
  for (const [method, target] of targets) {
    it(`${method} ${target} without a key → 401`, async () => {
      const response = await rawRequest(local.origin, method, target, {
        headers: json,
        body: method === "POST" ? chatBody : "",
      });
      expect(response.status).toBe(401);
      expect(JSON.parse(response.body)).toMatchObject({ error: { type: "authentication_error" } });
    });
  }

  it("with the key, the same encoded target reaches its route; /health stays public however it is spelled", async () => {
    const authorized = await rawRequest(local.origin, "GET", "/%761/models", {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(authorized.status).toBe(200);
    expect((await rawRequest(local.origin, "GET", "/%68ealth")).status).toBe(200);
  });

  it("/metrics is public only when configured so", async () => {
    const open = await startLocalServer({ apiKeys: [KEY], publicMetrics: true });
    try {
      expect((await fetch(`${open.origin}/metrics`)).status).toBe(200);
      expect((await fetch(`${open.baseURL}/models`)).status).toBe(401);
    } finally {
      await open.close();
    }
  });

  it("refuses an empty key instead of turning authentication off", () => {
    const dir = defaultModelDir() as string;
    for (const apiKeys of [[""], ["  "], [KEY, ""]]) {
      expect(() => createServer({ models: [{ dir }], apiKeys })).toThrow(/API key is empty/);
    }
  });
});

describe("requests that cannot be routed or framed", () => {
  let local: LocalServer;
  beforeAll(async () => {
    local = await startLocalServer();
  });
  afterAll(() => local.close());

  it("a 10 MiB body sent without Expect: 100-continue gets a readable 413, not a reset", async () => {
    const socket = await openSocket(local.origin);
    const reading = readAll(socket, 15_000);
    const size = 10 * 1024 * 1024;
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`,
    );
    // In 64 KiB pieces, as a real client's socket sends them, waiting whenever the kernel's buffer is full.
    const piece = Buffer.alloc(64 * 1024, 0x20);
    for (let sent = 0; sent < size && !socket.destroyed; sent += piece.length) {
      if (!socket.write(piece)) await new Promise((resolve) => socket.once("drain", resolve));
    }
    const { raw, error } = await reading;
    const response = parseResponse(raw, error);
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: "payload_too_large" } });
    expect(response.headers.connection).toBe("close");
  });

  it("a URL the router refuses gets the OpenAI error shape and closes the connection", async () => {
    const response = await rawRequest(local.origin, "GET", "/v1/%zz");
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: { type: "invalid_request_error", code: "bad_url" } });
    expect(response.headers.connection).toBe("close");
  });

  it("malformed HTTP gets an OpenAI-shaped 400 and a clean close, even with more bytes behind it", async () => {
    const socket = await openSocket(local.origin);
    const reading = readAll(socket);
    socket.write("GET /health HTTP/1.1\r\nhost: x\r\ncontent-length: nope\r\n\r\nGET /health HTTP/1.1\r\n\r\n");
    const { raw, error } = await reading;
    const response = parseResponse(raw, error);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: { type: "invalid_request_error" } });
    expect(response.headers.connection).toBe("close");
    expect(error).toBeUndefined();
  });

  it("a keep-alive connection after a refused URL is closed by the server, so no next request meets a reset", async () => {
    const socket = await openSocket(local.origin);
    const reading = readAll(socket);
    socket.write("GET /%zz HTTP/1.1\r\nhost: x\r\n\r\n");
    const { raw, error, closedByServer } = await reading;
    expect(closedByServer).toBe(true);
    expect(parseResponse(raw).status).toBe(400);
    expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(error).toBeUndefined();
  });
});

describe("shutdown with clients that misbehave", () => {
  it("a half-sent request (slow headers, slow body) does not keep close() from finishing", async () => {
    const local = await startLocalServer();
    const slowHeaders = await openSocket(local.origin);
    slowHeaders.write("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n");
    const slowBody = await openSocket(local.origin);
    slowBody.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"mo`,
    );
    const closed = [readAll(slowHeaders, 60_000), readAll(slowBody, 60_000)];
    await local.close(); // before the fix this never resolved
    const [headers, body] = await Promise.all(closed);
    expect(headers).toBeDefined();
    expect(body).toBeDefined();
  });

  it("a generation still running after the grace period ends with a 'shutting down' error frame", async () => {
    const local = await startLocalServer({ shutdownGraceMs: 100 });
    const response = await fetch(`${local.baseURL}/chat/completions`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({
        model: "mercury-2",
        messages: [{ role: "user", content: "Count to a thousand." }],
        max_tokens: 1000,
        stream: true,
        reasoning_effort: "high",
        ignore_eos: true,
      }),
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the stream is running
    const closing = local.close();
    let text = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      text += new TextDecoder().decode(chunk.value);
    await closing;
    expect(text).toContain('"code":"shutting_down"');
    expect(text).toMatch(/data: \[DONE\]\n\n$/);
  });
});

describe("availability under hostile requests", () => {
  let local: LocalServer;
  beforeAll(async () => {
    local = await startLocalServer();
  });
  afterAll(() => local.close());
  const chat = (body: Record<string, unknown>) =>
    fetch(`${local.baseURL}/chat/completions`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ model: "mercury-2", max_tokens: 8, ...body }),
    });

  it("a 1 MB prompt is refused by its length alone, before any tokenizing", async () => {
    const response = await chat({ messages: [{ role: "user", content: "x".repeat(1_000_000) }] });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("context_length_exceeded");
    expect(error.message).toMatch(
      /^The prompt has \d+ characters; this model's context of 4096 tokens holds at most \d+/,
    );
  });

  it("/health keeps answering while the largest prompt the bound lets through is tokenized", async () => {
    // Just under the character bound (context × longest token): tokenizing it takes a while.
    const words = ["alpha", "beta", "gamma", "delta", "(x) => x + 1;", "\n", "const", "return"];
    let content = "";
    for (let i = 0; content.length < 170_000; i++) content += `${words[(i * 7) % words.length]} `;
    let settled = false;
    const big = chat({ messages: [{ role: "user", content }] }).finally(() => {
      settled = true;
    });
    const latencies: number[] = [];
    let answeredWhilePending = 0;
    while (!settled) {
      const started = performance.now();
      const health = await fetch(`${local.origin}/health`);
      latencies.push(performance.now() - started);
      expect(health.status).toBe(200);
      if (!settled) answeredWhilePending++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const response = await big;
    expect(response.status).toBe(400); // too many tokens, found by the worker's count
    expect(answeredWhilePending).toBeGreaterThan(0);
    console.log(`/health during a ${content.length}-character prompt: max ${Math.max(...latencies).toFixed(0)} ms`);
  });

  it("a tool schema nested 5,000 deep is a 400 naming the field, not a stack overflow", async () => {
    // Written as text: JSON.stringify itself would overflow on the way out.
    const parameters = `${'{"type":"object","properties":{"a":'.repeat(5000)}{"type":"string"}${"}}".repeat(5000)}`;
    const response = await fetch(`${local.baseURL}/chat/completions`, {
      method: "POST",
      headers: json,
      body: `{"model":"mercury-2","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"deep","parameters":${parameters}}}]}`,
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { param: string; message: string } };
    expect(error.param).toBe("tools.0.function.parameters");
    expect(error.message).toMatch(/nested more than 64 levels deep/);
  });

  it("n other than 1 is refused, not silently answered with one choice", async () => {
    const response = await chat({ messages: [{ role: "user", content: "hi" }], n: 3 });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe("n");
    expect((await chat({ messages: [{ role: "user", content: "hi" }], n: 1 })).status).toBe(200);
  });

  it("a json_schema with $id works on every request, not just the first", async () => {
    for (let i = 0; i < 2; i++) {
      const response = await chat({
        messages: [{ role: "user", content: "A point as JSON." }],
        max_tokens: 12,
        response_format: {
          type: "json_schema",
          json_schema: { name: "point", schema: { $id: "https://example.com/point", type: "object" } },
        },
      });
      // The schema compiles every time (never the 400 "schema with key or id … already exists"), and
      // any object is what the JSON grammar makes.
      expect(response.status).toBe(200);
      const content = ((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message
        .content;
      expect(typeof JSON.parse(content ?? "")).toBe("object");
    }
  });

  it("tokens_per_forward is the answer's tokens over its forward passes", async () => {
    const response = await chat({ messages: [{ role: "user", content: "Write a sort function." }], max_tokens: 32 });
    const { usage } = (await response.json()) as {
      usage: { completion_tokens: number; forward_passes: number; tokens_per_forward: number };
    };
    expect(usage.forward_passes).toBeGreaterThan(0);
    expect(usage.tokens_per_forward).toBeCloseTo(usage.completion_tokens / usage.forward_passes, 3);
  });

  it("a long buffered stream (tool calls) sends real progress frames, so the SDK's idle timeout holds", async () => {
    // The idle timeout is 2.5 s here (60 s by default); the answer takes longer than that to make
    // (120 steps at the high effort, ~5 s on these machines).
    const client = new Mercury({ baseURL: local.baseURL, idleTimeout: 2_500, maxRetries: 0 });
    const started = performance.now();
    const stream = await client.chat.completions.create(
      {
        model: "mercury-2",
        messages: [{ role: "user", content: "Look up the weather in Paris." }],
        tools: [{ type: "function", function: { name: "weather", parameters: { type: "object" } } }],
        max_tokens: 120,
        reasoning_effort: "high",
        stream: true,
      },
      { extraBody: { ignore_eos: true } },
    );
    let chunks = 0;
    for await (const _chunk of stream) chunks++;
    const seconds = (performance.now() - started) / 1000;
    console.log(`buffered stream: ${chunks} chunks in ${seconds.toFixed(1)} s`);
    expect(chunks).toBeGreaterThan(2);
  }, 120_000);
});
