// How the server ships the playground: the page is public while the API keeps its key, files come
// precompressed with a strict content security policy, and nothing outside the built files is reachable.
import { request as httpRequest } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "./support/local-server";

const KEY = "serving-secret";
let local: LocalServer;
let unkeyed: LocalServer;
beforeAll(async () => {
  [local, unkeyed] = await Promise.all([startLocalServer({ apiKeys: [KEY] }), startLocalServer({ ui: false })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([local?.close(), unkeyed?.close()]);
});

/** A raw GET, so the path reaches the server exactly as written (fetch would normalise it). */
function rawGet(origin: string, path: string, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(origin);
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the playground's files", () => {
  it("/ and /playground redirect to the page, which needs no key while the API does", async () => {
    for (const path of ["/", "/playground"]) {
      const response = await rawGet(local.origin, path);
      expect(response.status).toBe(302);
      expect(new URL(String(response.headers.location), `${local.origin}${path}`).pathname).toBe("/playground/");
    }
    const page = await rawGet(local.origin, "/playground/");
    expect(page.status).toBe(200);
    expect(String(page.headers["content-type"])).toMatch(/^text\/html/);
    expect(page.body.toString()).toContain('<script type="module" src="app.js">');
    expect((await rawGet(local.origin, "/v1/models")).status).toBe(401);
    expect((await rawGet(local.origin, "/metrics")).status).toBe(401);
  });

  it("every file carries a strict content security policy and no-sniff", async () => {
    for (const path of ["/playground/", "/playground/app.js", "/playground/app.css"]) {
      const response = await rawGet(local.origin, path);
      expect(response.status).toBe(200);
      const policy = String(response.headers["content-security-policy"]);
      expect(policy).toContain("default-src 'none'");
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toContain("unsafe");
      expect(response.headers["x-content-type-options"]).toBe("nosniff");
    }
  });

  it("sends the gzip or brotli copy to clients that take one, byte-equal to the plain file", async () => {
    const plain = await rawGet(local.origin, "/playground/app.js");
    const gzip = await rawGet(local.origin, "/playground/app.js", { "accept-encoding": "gzip" });
    const brotli = await rawGet(local.origin, "/playground/app.js", { "accept-encoding": "gzip, br" });
    expect(gzip.headers["content-encoding"]).toBe("gzip");
    expect(brotli.headers["content-encoding"]).toBe("br");
    expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
    expect(brotliDecompressSync(brotli.body).equals(plain.body)).toBe(true);
    expect(brotli.body.length).toBeLessThan(plain.body.length / 2);
    // Browsers always offer both: the page must still come (a folder-index route once answered 404 here).
    const page = await rawGet(local.origin, "/playground/", { "accept-encoding": "gzip, deflate, br" });
    expect(page.status).toBe(200);
  });

  it.each([
    "/playground/../package.json",
    "/playground/..%2f..%2fpackage.json",
    "/playground/%2e%2e/%2e%2e/package.json",
    "/playground/..%252f..%252fpackage.json",
    "/playground//etc/passwd",
    "/playground/%2fetc%2fpasswd",
    "/playground/.%2e/.%2e/.%2e/.%2e/etc/passwd",
    "/playground/app.js%00.html",
    "/playground/..%5c..%5cpackage.json",
  ])("%s reaches no file outside the playground and no API route", async (path) => {
    const response = await rawGet(local.origin, path);
    expect(response.status).not.toBe(200);
    const text = response.body.toString();
    expect(text).not.toMatch(/"name":\s*"@anneal|root:x:0:0/);
  });

  it("an API route spelled through the playground's prefix still needs the key", async () => {
    for (const path of ["/playground/../v1/models", "/playground/%2e%2e/v1/models", "/playground/..%2fv1%2fmodels"]) {
      const response = await rawGet(local.origin, path);
      expect([401, 404]).toContain(response.status);
      expect(response.body.toString()).not.toContain('"object":"list"');
    }
  });

  it("ui: false serves no page at all", async () => {
    for (const path of ["/", "/playground", "/playground/", "/playground/app.js"]) {
      expect((await rawGet(unkeyed.origin, path)).status).toBe(404);
    }
  });
});
