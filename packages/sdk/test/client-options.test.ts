// Client options: env defaults (INCEPTION_* only), base URL forms, headers sent, timeouts wired through.
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Mercury, MercuryError, VERSION } from "../src/index";
import { fixtureJSON, server, useMockApi } from "./support/mock-api";

useMockApi();
afterEach(() => vi.unstubAllEnvs());

const params = { model: "mercury-2", messages: [{ role: "user" as const, content: "hi" }] };

/** Records the URL and headers of each chat request sent to `origin`. */
function recordRequests(origin: string) {
  const seen: { url: string; headers: Headers }[] = [];
  server.use(
    http.post(`${origin}/*`, ({ request }) => {
      seen.push({ url: request.url, headers: request.headers });
      return HttpResponse.json(fixtureJSON("chat-completion.json"));
    }),
  );
  return seen;
}

describe("defaults from the environment", () => {
  it("uses INCEPTION_API_KEY and Inception's URL, and never OPENAI_* variables", async () => {
    vi.stubEnv("INCEPTION_API_KEY", "sk_inception");
    vi.stubEnv("INCEPTION_BASE_URL", "");
    vi.stubEnv("OPENAI_API_KEY", "sk-openai");
    vi.stubEnv("OPENAI_BASE_URL", "https://api.openai.com/v1");
    vi.stubEnv("OPENAI_ORG_ID", "org-leak");
    vi.stubEnv("OPENAI_PROJECT_ID", "proj-leak");
    vi.stubEnv("OPENAI_LOG", "debug");
    const seen = recordRequests("https://api.inceptionlabs.ai");
    const lines: string[] = [];
    const log = (message: string) => lines.push(message);

    const client = new Mercury({ logger: { debug: log, info: log, warn: log, error: log } });
    await client.chat.completions.create(params);

    expect(client.baseURL).toBe("https://api.inceptionlabs.ai/v1");
    expect(seen[0]?.url).toBe("https://api.inceptionlabs.ai/v1/chat/completions");
    expect(seen[0]?.headers.get("authorization")).toBe("Bearer sk_inception");
    expect(seen[0]?.headers.get("openai-organization")).toBeNull();
    expect(seen[0]?.headers.get("openai-project")).toBeNull();
    expect(lines).toEqual([]); // OPENAI_LOG=debug was not honoured
  });

  it("uses INCEPTION_BASE_URL, adding /v1 to a bare origin as the Python SDK does", async () => {
    vi.stubEnv("INCEPTION_BASE_URL", "http://localhost:8123/");
    const seen = recordRequests("http://localhost:8123");
    const client = new Mercury({ apiKey: "k" });
    await client.chat.completions.create(params);
    expect(client.baseURL).toBe("http://localhost:8123/v1");
    expect(seen[0]?.url).toBe("http://localhost:8123/v1/chat/completions");
  });

  it("keeps a base URL that already has a path", () => {
    expect(new Mercury({ baseURL: "https://proxy.example/inception/v1/" }).baseURL).toBe(
      "https://proxy.example/inception/v1",
    );
  });

  it("options beat the environment", () => {
    vi.stubEnv("INCEPTION_BASE_URL", "http://from-env.test/v1");
    expect(new Mercury({ baseURL: "http://from-option.test/v1" }).baseURL).toBe("http://from-option.test/v1");
  });
});

describe("environment variables read", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("never reads an OPENAI_* variable (nor DEBUG) while building, sending, streaming and listing", async () => {
    // Every variable openai-node has read in any version (key, base URL, org, project, log level, webhook secret, admin key).
    for (const name of [
      "OPENAI_API_KEY",
      "OPENAI_BASE_URL",
      "OPENAI_ORG_ID",
      "OPENAI_PROJECT_ID",
      "OPENAI_LOG",
      "OPENAI_WEBHOOK_SECRET",
      "OPENAI_ADMIN_KEY",
      "DEBUG",
    ]) {
      vi.stubEnv(name, "set-by-test");
    }
    const env = process.env;
    const read = new Set<string>();
    const watched = new Proxy(env, {
      get(target, name, receiver) {
        if (typeof name === "string") read.add(name);
        return Reflect.get(target, name, receiver);
      },
    });
    vi.stubGlobal(
      "process",
      new Proxy(process, { get: (target, name) => (name === "env" ? watched : Reflect.get(target, name)) }),
    );
    const seen = recordRequests("http://local.test");
    server.use(
      http.get("http://local.test/v1/models", () => HttpResponse.json({ object: "list", data: [] })),
      http.post(
        "http://local.test/v1/fim/completions",
        () =>
          new HttpResponse(
            'data: {"id":"f","object":"text_completion","choices":[{"index":0,"text":"x","finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
            {
              headers: { "content-type": "text/event-stream" },
            },
          ),
      ),
    );

    const client = new Mercury({ baseURL: "http://local.test/v1" });
    await client.chat.completions.create(params);
    const stream = await client.fim.completions.create({ model: "mercury-edit-2", prompt: "a", stream: true });
    for await (const _ of stream) {
    }
    await client.models.list();

    expect(seen).toHaveLength(1);
    expect([...read].filter((name) => /^(OPENAI_|DEBUG$)/.test(name))).toEqual([]);
    expect(read.has("INCEPTION_API_KEY")).toBe(true); // the watch works: our own variable was seen
    expect(seen[0]?.headers.has("authorization")).toBe(false);
  });
});

describe("headers", () => {
  it("sends no Authorization header without a key (local servers need none)", async () => {
    vi.stubEnv("INCEPTION_API_KEY", "");
    const seen = recordRequests("http://local.test");
    await new Mercury({ baseURL: "http://local.test/v1" }).chat.completions.create(params);
    expect(seen[0]?.headers.has("authorization")).toBe(false);
  });

  it("identifies itself, drops OpenAI's telemetry headers, and adds defaultHeaders", async () => {
    const seen = recordRequests("http://local.test");
    await new Mercury({
      baseURL: "http://local.test/v1",
      apiKey: "k",
      defaultHeaders: { "x-team": "anneal" },
    }).chat.completions.create(params, { headers: { "x-call": "1" } });
    const headers = seen[0]?.headers as Headers;
    expect(headers.get("user-agent")).toBe(`anneal-sdk/${VERSION}`);
    expect([...headers.keys()].filter((name) => name.startsWith("x-stainless"))).toEqual([]);
    expect(headers.get("x-team")).toBe("anneal");
    expect(headers.get("x-call")).toBe("1");
    expect(headers.get("content-type")).toBe("application/json");
  });
});

describe("custom fetch and logging", () => {
  it("routes requests through the given fetch", async () => {
    const calls: string[] = [];
    const fetch = async (input: string | URL | Request, init?: RequestInit) => {
      calls.push(String(input instanceof Request ? input.url : input));
      return globalThis.fetch(input, init);
    };
    recordRequests("http://local.test");
    await new Mercury({ baseURL: "http://local.test/v1", fetch }).chat.completions.create(params);
    expect(calls).toEqual(["http://local.test/v1/chat/completions"]);
  });

  it("logs at debug level to the given logger, with the key redacted", async () => {
    const lines: string[] = [];
    const log = (message: string, ...rest: unknown[]) => lines.push([message, JSON.stringify(rest)].join(" "));
    recordRequests("http://local.test");
    await new Mercury({
      baseURL: "http://local.test/v1",
      apiKey: "sk_secret_value",
      logLevel: "debug",
      logger: { debug: log, info: log, warn: log, error: log },
    }).chat.completions.create(params);
    expect(lines.some((line) => line.includes("sending request"))).toBe(true);
    expect(lines.join("\n")).not.toContain("sk_secret_value");
  });
});

describe("browsers", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("refuses to start in a page unless dangerouslyAllowBrowser is set", () => {
    vi.stubGlobal("window", { document: {} });
    expect(() => new Mercury({ apiKey: "k" })).toThrow(MercuryError);
    expect(() => new Mercury({ apiKey: "k" })).toThrow(/dangerouslyAllowBrowser/);
    const allowed = new Mercury({ apiKey: "k", baseURL: "http://localhost:8000", dangerouslyAllowBrowser: true });
    expect(allowed.baseURL).toBe("http://localhost:8000/v1");
  });
});
