// The built `anneal` binary as a child process against the real server and built-in model: answers,
// JSON and JSONL output, code commands writing files, config profiles, and every exit code.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Mercury } from "@anneal/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useContractCheck } from "./support/contract";
import { type LocalServer, startLocalServer } from "./support/local-server";

useContractCheck();

const bin = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url));
const configHome = mkdtempSync(join(tmpdir(), "anneal-xdg-"));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function anneal(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      {
        env: {
          ...process.env,
          XDG_CONFIG_HOME: configHome,
          INCEPTION_API_KEY: "",
          INCEPTION_BASE_URL: "",
          NO_COLOR: "1",
          ...options.env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(options.input ?? "");
  });
}

let local: LocalServer;
let limited: LocalServer;
beforeAll(async () => {
  local = await startLocalServer();
  limited = await startLocalServer({ maxConcurrent: 1, maxQueue: 0, apiKeys: ["sk_cli"] });
});
afterAll(async () => {
  await local.close();
  await limited.close();
});
const server = () => ["--base-url", local.baseURL];

describe("anneal ask", () => {
  it("answers a prompt given as arguments or piped in, and exits 0", async () => {
    const fromArgs = await anneal([...server(), "ask", "--max-tokens", "16", "Write", "a", "function"]);
    expect(fromArgs.code).toBe(0);
    expect(fromArgs.stdout.endsWith("\n")).toBe(true);
    const piped = await anneal([...server(), "ask", "--max-tokens", "16"], { input: "Write a function" });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(fromArgs.stdout); // greedy decoding: the same answer
  });

  it("--json prints the final response; --jsonl prints every chunk", async () => {
    const json = await anneal([...server(), "ask", "--json", "--max-tokens", "8", "hi"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      object: "chat.completion",
      choices: [{ message: { role: "assistant" } }],
    });
    const jsonl = await anneal([...server(), "ask", "--jsonl", "--max-tokens", "8", "hi"]);
    const events = jsonl.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.every((e) => e.object === "chat.completion.chunk")).toBe(true);
    expect(events.at(-1).usage.total_tokens).toBeGreaterThan(0);
  });

  it("lists models", async () => {
    const result = await anneal([...server(), "models"]);
    expect(result.code).toBe(0);
    // Tool calls and JSON answers are laid out on the canvas, so even the built-in model claims them.
    expect(result.stdout).toMatch(
      /^model\s+context\s+features\nanneal-code-11m\s+4096\s+tools, json_mode, structured_outputs\n/,
    );
  });
});

describe("anneal bench", () => {
  it("reports throughput and latency per concurrency level, as a table and as JSON", async () => {
    const table = await anneal([...server(), "bench", "--concurrency", "1,2", "--requests", "1", "--max-tokens", "8"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/concurrency\s+requests\s+tok\/s\s+TTFT p50/);
    expect(table.stdout.trim().split("\n")).toHaveLength(3);
    const json = await anneal([
      ...server(),
      "bench",
      "--concurrency",
      "2",
      "--requests",
      "1",
      "--max-tokens",
      "8",
      "--json",
    ]);
    expect(JSON.parse(json.stdout).rows[0]).toMatchObject({ concurrency: 2, requests: 2 });
    expect((await anneal([...server(), "bench", "--concurrency", "0"])).code).toBe(2);
  });
});

describe("code commands", () => {
  it("fim --write writes exactly prefix + the server's infill + suffix, and shows the diff", async () => {
    const dir = mkdtempSync(join(tmpdir(), "anneal-fim-"));
    const file = join(dir, "add.ts");
    const prefix = "export function add(a: number, b: number) {\n  return ";
    const suffix = "\n}\n";
    writeFileSync(file, prefix + suffix);
    // Greedy decoding is deterministic: the same request through the SDK gives the infill to expect.
    const expected = await new Mercury({ baseURL: local.baseURL }).fim.completions.create({
      model: "mercury-2",
      prompt: prefix,
      suffix,
      max_tokens: 8,
    });
    const infill = expected.choices[0]?.text ?? "";
    expect(infill).not.toBe("");
    const result = await anneal([...server(), "fim", file, "--at", "2:10", "--max-tokens", "8", "--write"]);
    expect(result.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(prefix + infill + suffix);
    expect(result.stdout).toContain(`--- ${file}`);
    expect(result.stderr).toContain(`wrote ${file}`);
  });

  it("fim --json --write leaves a JSON file JSON; a cursor where no infill could is one line, exit 1, file untouched", async () => {
    const dir = mkdtempSync(join(tmpdir(), "anneal-fim-json-"));
    const file = join(dir, "package.json");
    const original = '{\n  "name": "add",\n  "version": ,\n  "private": true\n}\n';
    writeFileSync(file, original);
    const written = await anneal([...server(), "fim", file, "--at", "3:14", "--json", "--max-tokens", "8", "--write"]);
    expect(written.code).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(() => JSON.parse(text), text).not.toThrow();
    expect(text.startsWith('{\n  "name": "add",\n  "version": ')).toBe(true);
    writeFileSync(file, original);
    const refused = await anneal([...server(), "fim", file, "--at", "2:3", "--json", "--write"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toMatch(/where a key goes/);
    expect(readFileSync(file, "utf8")).toBe(original);
  });

  it("apply and edit run against the server; without --write the file is untouched", async () => {
    const dir = mkdtempSync(join(tmpdir(), "anneal-apply-"));
    const file = join(dir, "c.ts");
    const snippet = join(dir, "snippet.ts");
    writeFileSync(file, "const a = 1;\n");
    writeFileSync(snippet, "// ... existing code ...\nconst b = 2;\n");
    // The built-in model's (deterministic) answer is not a merge of the two: shown, then refused.
    const applied = await anneal([...server(), "apply", file, snippet]);
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain(`--- ${file}`);
    expect(applied.stderr.trim()).toMatch(
      /^anneal: the merged file keeps 0 % of the original's lines.*this is not a merge/,
    );
    const edited = await anneal([...server(), "edit", file, "--cursor", "1:5"]);
    expect(edited.code).toBe(0);
    expect(edited.stdout).toContain(`+++ ${file}`);
    expect(readFileSync(file, "utf8")).toBe("const a = 1;\n");
  });
});

describe("config profiles", () => {
  it("stores settings 0600 and uses them; flags and env still win", async () => {
    expect((await anneal(["config", "set", "base-url", local.baseURL, "--profile", "local"])).code).toBe(0);
    expect((await anneal(["config", "use", "local"])).code).toBe(0);
    const path = (await anneal(["config", "path"])).stdout.trim();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await anneal(["config", "get", "base-url"])).stdout.trim()).toBe(local.baseURL);
    const viaProfile = await anneal(["models", "--json"]);
    expect(JSON.parse(viaProfile.stdout)[0].id).toBe("anneal-code-11m");
    const overridden = await anneal(["models"], { env: { INCEPTION_BASE_URL: "http://127.0.0.1:9/v1" } });
    expect(overridden.code).toBe(5);
    expect((await anneal(["config", "set", "effort", "extreme"])).code).toBe(2);
    expect((await anneal(["--profile", "nope", "models"])).stderr).toMatch(/no profile "nope"/);
  });
});

describe("exit codes", () => {
  it.each([
    { name: "an unknown flag", args: ["--nope"], code: 2, message: /unknown option '--nope'/ },
    { name: "a missing file", args: ["fim", "/no/such/file.ts", "--at", "1:1"], code: 2, message: /no such file/ },
    { name: "a bad position", args: ["fim", "/etc/hostname", "--at", "one"], code: 2, message: /LINE:COL/ },
    { name: "no prompt", args: ["ask"], code: 2, message: /prompt is empty/ },
    {
      name: "an effort that does not exist",
      args: ["--effort", "turbo", "ask", "hi"],
      code: 2,
      message: /argument 'turbo' is invalid. Allowed choices are instant, low, medium, high/,
    },
    {
      name: "a base URL without a scheme",
      args: ["--base-url", "localhost:8765", "models"],
      code: 2,
      message: /did you mean http:\/\/localhost:8765\?/,
    },
    {
      name: "a profile base URL that is no URL",
      args: ["config", "set", "base-url", "not-a-url"],
      code: 2,
      message: /is not a URL/,
    },
    {
      name: "an unreachable server",
      args: ["--base-url", "http://127.0.0.1:9/v1", "models"],
      code: 5,
      message: /cannot reach/,
    },
  ])("$name → $code with one line on stderr", async ({ args, code, message }) => {
    const result = await anneal(args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("an API error → 1; Ctrl+C ends a running answer with SIGINT (status 130 in a shell)", async () => {
    const unknown = await anneal([...server(), "-m", "no-such-model", "ask", "hi"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^anneal: server error: 404 The model "no-such-model" does not exist/);
    const child = execFile(process.execPath, [bin, ...server(), "ask", "--max-tokens", "400", "long"], {
      env: { ...process.env, XDG_CONFIG_HOME: configHome },
    });
    const exited = new Promise<[number | null, string | null]>((resolve) =>
      child.on("exit", (c, s) => resolve([c, s])),
    );
    // Interrupt once the answer is streaming (a fixed delay raced the process start on a loaded machine).
    await new Promise((resolve) => child.stdout?.once("data", resolve));
    child.kill("SIGINT");
    const [code, signal] = await exited;
    expect(code === 130 || signal === "SIGINT").toBe(true);
  }, 60_000);

  it("401 → 3 with how to set the key; a busy server (503 overloaded) → 4 with when to retry", async () => {
    const denied = await anneal(["--base-url", limited.baseURL, "models"]);
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(/set INCEPTION_API_KEY/);
    const hold = new AbortController();
    const busy = fetch(`${limited.baseURL}/chat/completions`, {
      method: "POST",
      signal: hold.signal,
      headers: { "content-type": "application/json", authorization: "Bearer sk_cli" },
      body: JSON.stringify({
        model: "anneal-code-11m",
        messages: [{ role: "user", content: "x" }],
        max_tokens: 400,
        reasoning_effort: "high",
        ignore_eos: true,
      }),
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const limitedRun = await anneal(["--base-url", limited.baseURL, "--api-key", "sk_cli", "ask", "--json", "hi"], {
      env: { ANNEAL_RETRIES: "0" },
    });
    expect(limitedRun.code).toBe(4);
    expect(limitedRun.stderr).toMatch(/server busy \(retry in 1 s\)/);
    hold.abort();
    await busy.catch(() => {});
  });
});
