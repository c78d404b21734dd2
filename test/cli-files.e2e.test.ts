// The code commands on real files, as a process, against a scripted API: what --write may and may not
// do to a user's file (garbage merges, encodings, line endings, symlinks, binary files), and a closed pipe.
import { execFile, spawn } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ScriptedApi, startScriptedApi } from "./support/scripted-api";

const bin = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url));
let api: ScriptedApi;
beforeAll(async () => {
  api = await startScriptedApi();
});
afterAll(() => api.close());

function anneal(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, "--base-url", api.baseURL, "--api-key", "sk", ...args],
      { env: { ...process.env, NO_COLOR: "1", XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), "anneal-xdg-")) } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const folder = () => mkdtempSync(join(tmpdir(), "anneal-files-"));
const original = "function a() {\n  return 1;\n}\n\nfunction b() {\n  return 2;\n}\n";
const snippet = "// ... existing code ...\nfunction b() {\n  return 3;\n}\n";

describe("apply --write", () => {
  it("refuses an answer that is no merge (exit 1, file untouched); --force writes it", async () => {
    const dir = folder();
    const file = join(dir, "code.ts");
    writeFileSync(file, original);
    writeFileSync(join(dir, "snippet.ts"), snippet);
    api.answers.apply = "```ts\nconst garbage = true;\n```";
    const refused = await anneal(["apply", file, join(dir, "snippet.ts"), "--write"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(
      /^anneal: the merged file keeps 0 % of the original's lines.*not writing \(--force/,
    );
    expect(readFileSync(file, "utf8")).toBe(original);
    const forced = await anneal(["apply", file, join(dir, "snippet.ts"), "--write", "--force"]);
    expect(forced.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("const garbage = true;\n");
  });

  it("writes a plausible merge", async () => {
    const dir = folder();
    const file = join(dir, "code.ts");
    writeFileSync(file, original);
    writeFileSync(join(dir, "snippet.ts"), snippet);
    const merged = original.replace("return 2", "return 3");
    api.answers.apply = `\`\`\`ts\n${merged}\`\`\``;
    const result = await anneal(["apply", file, join(dir, "snippet.ts"), "--write"]);
    expect(result.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(merged);
  });
});

describe("fim --write keeps every byte outside the infill", () => {
  it("a Latin-1 file", async () => {
    const file = join(folder(), "latin1.c");
    writeFileSync(file, Buffer.from("/* caf\xe9 */\nint x = ;\n", "latin1"));
    api.answers.fim = "42";
    const result = await anneal(["fim", file, "--at", "2:9", "--write"]);
    expect(result.code).toBe(0);
    expect(readFileSync(file)).toEqual(Buffer.from("/* caf\xe9 */\nint x = 42;\n", "latin1"));
  });

  it("a CRLF file keeps CRLF, an infill's own newlines included", async () => {
    const file = join(folder(), "win.ts");
    writeFileSync(file, "if (x) {\r\n  \r\n}\r\n");
    api.answers.fim = "a();\n  b();";
    const result = await anneal(["fim", file, "--at", "2:3", "--write"]);
    expect(result.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("if (x) {\r\n  a();\r\n  b();\r\n}\r\n");
  });

  it("a symlink: its target is written and the link stays", async () => {
    const dir = folder();
    writeFileSync(join(dir, "real.ts"), "const a = ;\n");
    symlinkSync(join(dir, "real.ts"), join(dir, "link.ts"));
    api.answers.fim = "1";
    const result = await anneal(["fim", join(dir, "link.ts"), "--at", "1:11", "--write"]);
    expect(result.code).toBe(0);
    expect(lstatSync(join(dir, "link.ts")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, "real.ts"), "utf8")).toBe("const a = 1;\n");
  });
});

describe("refusals before any request", () => {
  it.each([
    ["fim", ["--at", "1:1"]],
    ["edit", ["--cursor", "1:1"]],
  ])("%s refuses a binary file with exit 2", async (command, flags) => {
    const file = join(folder(), "image.png");
    writeFileSync(file, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]));
    const result = await anneal([command, file, ...flags]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/image.png: looks binary/);
  });

  it("edit --cursor past the end of the file is refused, as fim does", async () => {
    const file = join(folder(), "short.ts");
    writeFileSync(file, "one line\n");
    const result = await anneal(["edit", file, "--cursor", "9:1"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/has 2 lines; line 9 does not exist/);
  });
});

it("ask piped into a reader that stops early ends quietly, without an EPIPE trace", async () => {
  api.answers.chat = "word ".repeat(20_000);
  const child = spawn(process.execPath, [bin, "--base-url", api.baseURL, "ask", "hi"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.once("data", () => child.stdout.destroy()); // like `| head -c 10`
  const code = await new Promise((resolve) => child.on("exit", resolve));
  expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
  expect(code).toBe(0);
});
