// The server against an attacker on loopback: URL tricks around the API key, malformed HTTP,
// oversized bodies and clients that never finish their request — with the real server and model.
import { createServer, defaultModelDir } from "@anneal/backend";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "./support/local-server";
import { openSocket, parseResponse, rawRequest, readAll } from "./support/raw-http";

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
