// The chat: slash commands, saved sessions, the diffusion view's settled/unsettled split, and the
// ink app driven through ink-testing-library with a stand-in client.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatCompletionChunk } from "@anneal/sdk";
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { ChatSession } from "../src/chat/chat-session";
import { SessionStore } from "../src/chat/session-store";
import { runSlash } from "../src/chat/slash";
import type { AnswerStream, ChatClient } from "../src/chat/turn";
import { ChatApp } from "../src/chat/ui/ChatApp";
import { draftSegments } from "../src/chat/unsettled";

const store = () => new SessionStore(mkdtempSync(join(tmpdir(), "anneal-sessions-")));

describe("slash commands", () => {
  it("change settings, report stats, and reject what they do not know", async () => {
    const session = new ChatSession({ model: "m1" });
    const ctx = { session, store: store() };
    expect((await runSlash("/model m2", ctx)).notice).toBe("model set to m2");
    expect((await runSlash("/effort high", ctx)).notice).toBe("effort set to high");
    expect((await runSlash("/effort extreme", ctx)).notice).toMatch(/must be one of/);
    expect((await runSlash("/diffusing", ctx)).notice).toBe("diffusion view on");
    expect((await runSlash("/system Be brief.", ctx)).notice).toBe("system message set");
    expect(session.messages()[0]).toEqual({ role: "system", content: "Be brief." });
    session.record(30, 2, 10);
    expect((await runSlash("/stats", ctx)).notice).toBe(
      "1 answers, 30 tokens, 15 tok/s, 10 forward passes (3.00 tokens per forward)",
    );
    expect((await runSlash("/nope", ctx)).notice).toMatch(/unknown command \/nope/);
    expect((await runSlash("/exit", ctx)).exit).toBe(true);
    expect((await runSlash("/help", ctx)).notice).toContain("/diffusing [on|off]");
    const cleared = (await runSlash("/clear", ctx)).session;
    expect(cleared?.model).toBe("m2");
    expect(cleared?.stats.requests).toBe(0);
  });

  it("/save and /load round-trip a conversation; --resume finds the latest", async () => {
    const sessions = store();
    const session = new ChatSession({ model: "m", diffusing: true });
    session.turns.push({ role: "user", content: "hi" }, { role: "assistant", content: "hello" });
    expect((await runSlash("/save first", { session, store: sessions })).notice).toMatch(/first\.json$/);
    const loaded = await runSlash("/load first", { session: new ChatSession({ model: "x" }), store: sessions });
    expect(loaded.session?.turns).toEqual(session.turns);
    expect(loaded.session?.diffusing).toBe(true);
    expect(sessions.latest()).toBe("first");
    expect((await runSlash("/load missing", { session, store: sessions })).notice).toMatch(
      /no saved session "missing"/,
    );
    expect((await runSlash("/save bad/name", { session, store: sessions })).notice).toMatch(/session names/);
  });
});

describe("draftSegments", () => {
  it("marks what changed since the previous draft as unsettled", () => {
    expect(draftSegments("They rxfine", "They refine")).toEqual([
      { text: "They r", settled: true },
      { text: "e", settled: false },
      { text: "fine", settled: true },
    ]);
    expect(draftSegments("", "new")).toEqual([{ text: "new", settled: false }]);
  });
});

/** A client whose answers are the given chunks (or drafts), optionally waiting for an abort first. */
function fakeClient(answer: string[], options: { hang?: boolean } = {}): ChatClient & { requests: unknown[] } {
  const requests: unknown[] = [];
  return {
    requests,
    chat: {
      completions: {
        async create(params, request) {
          requests.push(params);
          const chunk = (content: string): ChatCompletionChunk => ({
            id: "c",
            object: "chat.completion.chunk",
            choices: [{ index: 0, delta: { content }, finish_reason: null }],
          });
          const stream: AnswerStream = {
            usage: {
              prompt_tokens: 3,
              completion_tokens: 4,
              total_tokens: 7,
              forward_passes: 2,
            } as AnswerStream["usage"],
            async *[Symbol.asyncIterator]() {
              for (const part of answer) {
                if (options.hang)
                  await new Promise((_, reject) =>
                    request?.signal?.addEventListener("abort", () => reject(new Error("aborted"))),
                  );
                yield chunk(part);
              }
            },
            async *drafts() {
              for (const draft of answer) yield draft;
            },
          };
          return stream;
        },
      },
    },
  };
}

const tick = (ms = 80) => new Promise((resolve) => setTimeout(resolve, ms));

describe("ChatApp", () => {
  it("sends what was typed, shows the streamed answer and updates the footer", async () => {
    const client = fakeClient(["Hello", " world"]);
    const app = render(<ChatApp client={client} session={new ChatSession({ model: "m" })} store={store()} />);
    app.stdin.write("hi there");
    await tick();
    app.stdin.write("\r");
    await tick(150);
    const frame = app.lastFrame() ?? "";
    expect(frame).toContain("› hi there");
    expect(frame).toContain("Hello world");
    expect(frame).toContain("4 tokens");
    expect(frame).toContain("2 forward passes");
    expect(client.requests).toMatchObject([
      { model: "m", messages: [{ role: "user", content: "hi there" }], stream: true, diffusing: false },
    ]);
    app.unmount();
  });

  it("in diffusion view, the answer is the last draft", async () => {
    const client = fakeClient(["H#llo", "Hello"]);
    const session = new ChatSession({ model: "m", diffusing: true });
    const app = render(<ChatApp client={client} session={session} store={store()} />);
    app.stdin.write("x");
    await tick();
    app.stdin.write("\r");
    await tick(150);
    expect(session.turns.at(-1)).toEqual({ role: "assistant", content: "Hello" });
    expect(client.requests).toMatchObject([{ diffusing: true }]);
    app.unmount();
  });

  it("Esc cancels the answer and keeps the prompt; Ctrl+C clears the input; slash commands answer inline", async () => {
    const client = fakeClient(["never"], { hang: true });
    const session = new ChatSession({ model: "m" });
    const app = render(<ChatApp client={client} session={session} store={store()} />);
    app.stdin.write("long question");
    await tick();
    app.stdin.write("\r");
    await tick();
    app.stdin.write("\u001b"); // Esc
    await tick(150);
    expect(app.lastFrame()).toContain("cancelled");
    expect(app.lastFrame()).toContain("› long question");
    expect(session.turns).toEqual([]); // a cancelled turn is not kept
    app.stdin.write("\u0003"); // Ctrl+C: clears the restored input
    await tick();
    app.stdin.write("/model other");
    await tick();
    app.stdin.write("\r");
    await tick();
    expect(app.lastFrame()).toContain("model set to other");
    expect(session.model).toBe("other");
    app.unmount();
  });
});

describe("the chat's input", () => {
  it("a pasted line with its Enter is sent; what follows the last line break stays in the input", async () => {
    const { splitBurst, splitCommand } = await import("../src/chat/typed-input");
    const { isSlashCommand } = await import("../src/chat/slash");
    expect(splitBurst("", "hello\r")).toEqual({ send: "hello", keep: "" });
    expect(splitBurst("", "/stats\rhello")).toEqual({ send: "/stats", keep: "hello" });
    expect(splitBurst("typed ", "more")).toEqual({ send: undefined, keep: "typed more" });
    expect(splitCommand("/stats\nhello", isSlashCommand)).toEqual({ command: "/stats", message: "hello" });
    expect(splitCommand("// sum an array", isSlashCommand)).toEqual({ message: "// sum an array" });
  });

  it("/stats⏎hello pasted at once runs /stats and sends hello; // is a message; Ctrl+U clears", async () => {
    const client = fakeClient(["ok"]);
    const session = new ChatSession({ model: "m" });
    const app = render(<ChatApp client={client} session={session} store={store()} />);
    app.stdin.write("/stats\rhello\r");
    await tick(200);
    expect(app.lastFrame()).toContain("0 answers");
    expect(client.requests).toMatchObject([{ messages: [{ role: "user", content: "hello" }] }]);
    app.stdin.write("// sum an array\r");
    await tick(200);
    expect(client.requests).toMatchObject([{}, { messages: [{}, {}, { role: "user", content: "// sum an array" }] }]);
    app.stdin.write("draft to drop");
    await tick();
    app.stdin.write("\u0015"); // Ctrl+U
    await tick();
    expect(app.lastFrame()).not.toContain("draft to drop");
    app.unmount();
  });

  it("keeps what is typed while an answer is being written, and shows live figures", async () => {
    const client = fakeClient(["never"], { hang: true });
    const app = render(<ChatApp client={client} session={new ChatSession({ model: "m" })} store={store()} />);
    app.stdin.write("first\r");
    await tick();
    app.stdin.write("next question");
    await tick();
    const frame = app.lastFrame() ?? "";
    expect(frame).toContain("next question");
    expect(frame).toMatch(/● m · .*waiting for the first token/);
    expect(frame).not.toContain("0 tokens");
    app.unmount();
  });

  it("/model checks the name against the models the API serves", async () => {
    const session = new ChatSession({ model: "m1" });
    const ctx = { session, store: store(), listModels: async () => ["m1", "m2"] };
    expect((await runSlash("/model nope", ctx)).notice).toBe('no model "nope" here; available: m1, m2');
    expect(session.model).toBe("m1");
    expect((await runSlash("/model m2", ctx)).notice).toBe("model set to m2");
  });

  it("the live view of a tall answer shows only its last lines; the final one is printed whole", async () => {
    const { tailStart } = await import("../src/render/terminal-rows");
    const text = Array.from({ length: 50 }, (_, i) => `line ${i}`).join("\n");
    const start = tailStart(text, 80, 10);
    expect(text.slice(start).split("\n")).toEqual(Array.from({ length: 10 }, (_, i) => `line ${40 + i}`));
    expect(tailStart("short", 80, 10)).toBe(0);
  });

  it("the final render keeps unfenced code's newlines and tabs", async () => {
    const { renderMarkdown } = await import("../src/render/markdown");
    const rendered = renderMarkdown("function f() {\n\treturn 1;\n}", 80);
    expect(rendered.split("\n")).toHaveLength(3);
    expect(rendered).toContain("\treturn 1;");
  });
});
