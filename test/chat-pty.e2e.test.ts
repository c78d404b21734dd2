// `anneal chat` in a real pseudo-terminal (util-linux `script`), against the real server: type a
// question, see it answered, use a slash command, then leave with Ctrl+C.
import { execFileSync, spawn } from "node:child_process";
import { readlinkSync } from "node:fs";
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

/** The pseudo-terminal the chat process reads from (to resize it from outside). */
function terminalOf(command: string): string {
  const pid = execFileSync("pgrep", ["-f", "-n", command.split(" ").slice(1).join(" ")], { encoding: "utf8" }).trim();
  return readlinkSync(`/proc/${pid}/fd/0`);
}

const strip = (text: string) => stripVTControlCharacters(text).replace(/\r/g, "");

describe("anneal chat in a terminal", () => {
  it("answers, runs slash commands, redraws on resize, and exits 0 on Ctrl+C", async () => {
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
    /** Types a line, waits until the input shows it, then presses Enter. */
    const submit = async (text: string) => {
      await type(text);
      await waitFor(new RegExp(`› ${text.replace(/[/.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`, "m"));
      child.stdin.write("\r");
    };
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));

    await waitFor(/anneal chat · anneal-code-11m/);
    await submit("Write a function");
    await waitFor(/\d+ tokens · \d+ tok\/s · [1-9]\d* forward/, 60_000);
    await submit("/stats");
    await waitFor(/1 answers, \d+ tokens/);
    // Resize the terminal to 48 columns: the chat redraws with a footer that fits.
    const tty = terminalOf(command);
    execFileSync("stty", ["-F", tty, "cols", "48", "rows", "20"]);
    screen = "";
    await waitFor(/anneal-code-11m · effort default · diffusin[g ]*…/);
    child.stdin.write("\x03"); // empty input: Ctrl+C leaves
    expect(await exited).toBe(0);
  }, 120_000);
});
