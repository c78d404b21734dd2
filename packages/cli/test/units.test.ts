// The CLI's pure parts: setting precedence, positions, diffs, exit codes, atomic writes, the config file.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APIConnectionError, AuthenticationError, InternalServerError, RateLimitError } from "@anneal/sdk";
import { describe, expect, it } from "vitest";
import { checkBaseURL } from "../src/config/base-url";
import { resolveSettings } from "../src/config/resolve";
import { readConfig, writeConfig } from "../src/config/store";
import { describeFailure, EXIT, UsageError } from "../src/exit-codes";
import { writeFileAtomic } from "../src/files/atomic-write";
import { offsetOf, parsePosition } from "../src/files/position";
import { renderDiff } from "../src/render/diff";

describe("settings precedence", () => {
  const profile = { baseURL: "http://profile", apiKey: "sk_profile", model: "profile-model", effort: "low" as const };
  it("flags beat the environment, which beats the profile, which beats the defaults", () => {
    const env = { INCEPTION_BASE_URL: "http://env", INCEPTION_API_KEY: "sk_env", ANNEAL_MODEL: "env-model" };
    expect(resolveSettings({ baseUrl: "http://flag", model: "flag-model" }, env, profile)).toEqual({
      baseURL: "http://flag",
      apiKey: "sk_env",
      model: "flag-model",
      effort: "low",
      modelIsDefault: false,
    });
    expect(resolveSettings({}, {}, profile).model).toBe("profile-model");
    expect(resolveSettings({}, {}, {})).toEqual({
      baseURL: undefined,
      apiKey: undefined,
      model: "mercury-2",
      effort: undefined,
      modelIsDefault: true,
    });
  });
});

describe("positions", () => {
  it("parses LINE:COL and finds the offset, refusing positions outside the file", () => {
    expect(parsePosition("3:5", "--at")).toEqual({ line: 3, column: 5 });
    expect(() => parsePosition("3", "--at")).toThrow(UsageError);
    expect(() => parsePosition("0:1", "--at")).toThrow(/1-based/);
    const text = "ab\ncde\nf";
    expect(offsetOf(text, { line: 2, column: 2 }, "f.ts")).toBe(4);
    expect(offsetOf(text, { line: 3, column: 2 }, "f.ts")).toBe(text.length);
    expect(() => offsetOf(text, { line: 4, column: 1 }, "f.ts")).toThrow(/has 3 lines/);
    expect(() => offsetOf(text, { line: 1, column: 4 }, "f.ts")).toThrow(/past its end/);
  });
});

describe("renderDiff", () => {
  it("prints a unified diff, coloured only when asked", () => {
    const plain = renderDiff("a.ts", "x = 1\ny = 2\n", "x = 1\ny = 3\n", false);
    expect(plain).toContain("--- a.ts");
    expect(plain).toContain("-y = 2");
    expect(plain).toContain("+y = 3");
    expect(plain).not.toContain("\x1b[");
    expect(renderDiff("a.ts", "a\n", "b\n", true)).toContain("\x1b[32m+b");
  });
});

describe("exit codes", () => {
  it("maps each failure to its code and one line", () => {
    const headers = new Headers({ "retry-after": "7" });
    expect(describeFailure(new UsageError("bad"))).toEqual({ message: "bad", code: EXIT.usage });
    expect(
      describeFailure(new AuthenticationError({ status: 401, headers, body: { error: { message: "no key" } } })).code,
    ).toBe(EXIT.auth);
    expect(describeFailure(new AuthenticationError({ status: 401, headers, body: {} })).message).toMatch(
      /INCEPTION_API_KEY/,
    );
    expect(describeFailure(new RateLimitError({ status: 429, headers, body: {} })).message).toMatch(/retry in 7 s/);
    expect(
      describeFailure(new APIConnectionError({ message: "refused" }), { baseURL: "http://x", hasKey: true }).message,
    ).toBe("cannot reach http://x: refused");
    expect(
      describeFailure(new APIConnectionError({ message: "refused" }), {
        baseURL: "https://api.example/v1",
        hasKey: false,
      }).message,
    ).toBe(
      "cannot reach https://api.example/v1: refused (and no API key is set: INCEPTION_API_KEY or `anneal config set api-key`)",
    );
    expect(
      describeFailure(new InternalServerError({ status: 500, headers, body: { error: { message: "boom" } } })),
    ).toEqual({
      message: "server error: 500 boom",
      code: EXIT.failure,
    });
  });
});

describe("files", () => {
  it("writeFileAtomic replaces content, keeps the mode and leaves no temp file", () => {
    const dir = mkdtempSync(join(tmpdir(), "anneal-cli-"));
    const file = join(dir, "x.sh");
    writeFileSync(file, "old", { mode: 0o755 });
    writeFileAtomic(file, "new");
    expect(readFileSync(file, "utf8")).toBe("new");
    expect(statSync(file).mode & 0o777).toBe(0o755);
    expect(readdirSync(dir)).toEqual(["x.sh"]);
  });

  it("the config file is written 0600 and read back; broken JSON is a usage error", () => {
    const path = join(mkdtempSync(join(tmpdir(), "anneal-config-")), "anneal", "config.json");
    writeConfig({ current: "work", profiles: { work: { apiKey: "sk_secret" } } }, path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readConfig(path).profiles.work?.apiKey).toBe("sk_secret");
    writeFileSync(path, "{");
    expect(() => readConfig(path)).toThrow(UsageError);
  });
});

describe("renderMarkdown", () => {
  it("renders headings, inline code and fenced code for the terminal", async () => {
    const { renderMarkdown } = await import("../src/render/markdown");
    const out = renderMarkdown("# Title\n\nUse `sum`.\n\n```ts\nconst x = 1;\n```\n", 60);
    expect(out).toContain("Title");
    expect(out).toContain("const x = 1;");
    expect(out).not.toContain("```"); // fences become an indented block
  });
});

describe("the config file holds keys: nothing of it is ever readable by others", () => {
  it("writes through a fresh 0600 temporary file, never a stale world-readable one, and tightens the folder", () => {
    const folder = join(mkdtempSync(join(tmpdir(), "anneal-conf-")), "anneal");
    mkdirSync(folder, { mode: 0o755 });
    chmodSync(folder, 0o755);
    const path = join(folder, "config.json");
    // A stale temporary file from an old version (or planted), readable by everyone.
    writeFileSync(`${path}.tmp`, "stale", { mode: 0o644 });
    writeConfig({ current: "default", profiles: { default: { apiKey: "sk_secret" } } }, path);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${path}.tmp`, "utf8")).toBe("stale"); // not reused: the key never went there
    expect(readdirSync(folder).sort()).toEqual(["config.json", "config.json.tmp"]);
  });
});

describe("base URLs are checked where they are given", () => {
  it("accepts http(s) URLs and suggests http:// for a bare host:port", () => {
    expect(checkBaseURL("http://localhost:8000/v1", "--base-url")).toBe("http://localhost:8000/v1");
    expect(() => checkBaseURL("localhost:8765", "--base-url")).toThrow(/did you mean http:\/\/localhost:8765\?/);
    expect(() => checkBaseURL("not a url", "base-url")).toThrow(/base-url "not a url" is not a URL/);
    expect(() => checkBaseURL("ftp://host", "--base-url")).toThrow(/must start with http:\/\/ or https:\/\//);
    expect(() => resolveSettings({ baseUrl: "localhost:1" }, {}, {})).toThrow(UsageError);
  });
});
