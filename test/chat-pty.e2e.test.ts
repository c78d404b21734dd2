// `anneal chat` in a real pseudo-terminal (util-linux `script`), against the real server: type a
// question, see it answered, use a slash command, then leave with Ctrl+C.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "./support/local-server";

const bin = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url));
let local: LocalServer;
beforeAll(async () => {
  local = await startLocalServer();
});
afterAll(() => local.close());

const strip = (text: string) => stripVTControlCharacters(text).replace(/\r/g, "");

describe("anneal chat in a terminal", () => {
  it("answers, runs a slash command, and exits 0 on Ctrl+C", async () => {
    const command = `${process.execPath} ${bin} --base-url ${local.baseURL} -m anneal-code-11m chat`;
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      env: {
        ...process.env,
        TERM: "xterm-256color",
        COLUMNS: "90",
        LINES: "24",
        XDG_DATA_HOME: "/tmp/anneal-pty-data",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let screen = "";
    child.stdout.on("data", (data: Buffer) => {
      screen += data.toString();
    });
    const waitFor = async (pattern: RegExp, ms = 15_000) => {
      const deadline = Date.now() + ms;
      while (!pattern.test(strip(screen))) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${pattern}; screen:\n${strip(screen).slice(-800)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const type = async (text: string) => {
      for (const char of text) {
        child.stdin.write(char);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));

    await waitFor(/anneal chat · anneal-code-11m/);
    await type("Write a function");
    await waitFor(/› Write a function/);
    child.stdin.write("\r");
    await waitFor(/\d+ tokens · \d+ tok\/s · [1-9]\d* forward/, 60_000);
    await type("/stats");
    child.stdin.write("\r");
    await waitFor(/1 answers, \d+ tokens/);
    child.stdin.write("\x03"); // empty input: Ctrl+C leaves
    expect(await exited).toBe(0);
  }, 120_000);
});
