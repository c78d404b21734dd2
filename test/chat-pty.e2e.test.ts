// `anneal chat` in a real pseudo-terminal (util-linux `script`), against the real server: type a
// question, see it answered, use a slash command, then leave with Ctrl+C.
import { execFileSync, spawn } from "node:child_process";
import { readlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "./support/local-server";
import { type ScriptedApi, startScriptedApi } from "./support/scripted-api";

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

const ESC = "\u001b";
const strip = (text: string) => stripVTControlCharacters(text).replace(/\r/g, "");

describe("anneal chat in a terminal", () => {
  it("answers, runs slash commands, redraws on resize, and exits 0 on Ctrl+C", async () => {
    // No -m: the chat names the model the server serves, not the default "mercury-2" it maps to it.
    const command = `${process.execPath} ${bin} --base-url ${local.baseURL} chat`;
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
    // Resize the terminal to 48 columns: the chat clears the screen and draws the whole conversation
    // again at the new width (no stale rows of the old width), with a footer that fits.
    const tty = terminalOf(command);
    execFileSync("stty", ["-F", tty, "cols", "48", "rows", "20"]);
    screen = "";
    await waitFor(/anneal-code-11m · effort default · diffusin[g ]*…/);
    await waitFor(/anneal chat · anneal-code-11m[\s\S]*› Write a function[\s\S]*1 answers/);
    expect(screen).toContain(`${ESC}[2J`);
    child.stdin.write("\x03"); // empty input: Ctrl+C leaves
    expect(await exited).toBe(0);
  }, 120_000);
});

describe("anneal chat in a narrow terminal, with the diffusion view on", () => {
  let api: ScriptedApi;
  beforeAll(async () => {
    api = await startScriptedApi({
      chat: Array.from({ length: 40 }, (_, i) => `row-${String(i).padStart(2, "0")} of a tall answer`).join("\n"),
    });
  });
  afterAll(() => api.close());

  /** Runs the chat in `script` at 50×20; resolves to everything it drew once it has exited. */
  async function session(env: Record<string, string>, drive: (io: Pty) => Promise<void>): Promise<string> {
    // The pseudo-terminal starts 0×0 (script's own stdin is a pipe): give it its size first.
    const command = `stty rows 20 cols 50 && exec ${process.execPath} ${bin} --base-url ${api.baseURL} -m scripted chat --diffusing`;
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      env: { ...process.env, TERM: "xterm-256color", COLUMNS: "50", LINES: "20", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let screen = "";
    child.stdout.on("data", (data: Buffer) => {
      screen += data.toString();
    });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    const io: Pty = {
      write: (text) => child.stdin.write(text),
      waitFor: async (pattern, ms = 15_000) => {
        const deadline = Date.now() + ms;
        while (!pattern.test(strip(screen))) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${strip(screen).slice(-600)}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
    };
    await io.waitFor(/anneal chat · scripted/);
    await drive(io);
    child.stdin.write("\x03");
    await exited;
    return screen;
  }

  it("a pasted line is sent; a tall answer is drawn live as its tail and printed once; colour is on", async () => {
    const screen = await session({}, async ({ write, waitFor }) => {
      write("hello\r"); // text and Enter in one burst, as a paste arrives
      await waitFor(/row-39 of a tall answer[\s\S]*›[\s\S]*\n {2}scripted · effort/); // answered: no ● in the footer
    });
    const text = strip(screen);
    expect(text).toContain("› hello");
    // Once the answer is taller than the window (20 rows), the live view draws only its tail: its first
    // row is written again only once, by the final print.
    const afterTall = text.slice(text.indexOf("row-20 of a tall answer"));
    expect(afterTall.match(/row-00 of a tall answer/g)).toHaveLength(1);
    expect(screen).toContain(`${ESC}[36m`); // the prompt in cyan
    expect(screen).toContain(`${ESC}[2m`); // dim: unsettled text and the footer
  }, 60_000);

  it("NO_COLOR turns every colour off", async () => {
    const screen = await session({ NO_COLOR: "1" }, async ({ write, waitFor }) => {
      write("hi\r");
      await waitFor(/row-39 of a tall answer[\s\S]*›[\s\S]*\n {2}scripted · effort/);
    });
    for (const code of ["2", "36", "90", "31", "7"]) expect(screen).not.toContain(`${ESC}[${code}m`);
  }, 60_000);
});

interface Pty {
  write(text: string): void;
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
}
