// The web playground in a real Chromium against the real server (real addon, built-in model): the page
// loads, an answer streams as a canvas that changes between frames, stop ends the generation on the
// server, FIM / apply edit / next edit propose what the API answers, errors and API keys are handled.
// Set ANNEAL_SCREENSHOTS=docs/playground to refresh the README's screenshots.
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyNextEdit,
  buildApplyEditPrompt,
  buildNextEditPrompt,
  Mercury,
  parseApplyEditReply,
  parseNextEditReply,
} from "@anneal/sdk";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, launchChromium, NO_BROWSER_MESSAGE } from "./support/browser";
import { type LocalServer, startLocalServer } from "./support/local-server";

const executable = chromiumPath();
if (!executable) {
  // CI installs Chromium (.ci/run); there a missing browser is a failure, never a quiet skip.
  if (process.env.CI) throw new Error(`${NO_BROWSER_MESSAGE} CI must run these tests.`);
  console.warn(NO_BROWSER_MESSAGE);
}

const MAX_TOKENS = 1024;
const screenshots = process.env.ANNEAL_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), "anneal-screens-"));
mkdirSync(screenshots, { recursive: true });

const textOf = async (locator: Locator) => (await locator.textContent()) ?? "";

/** Running generations, as the server's /metrics says. */
async function runningOn(server: LocalServer, key?: string): Promise<number> {
  const response = await fetch(`${server.origin}/metrics`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const line = (await response.text()).split("\n").find((entry) => entry.startsWith("anneal_running_requests "));
  return Number(line?.split(" ")[1]);
}

describe.skipIf(!executable)("the playground in a real browser", () => {
  let local: LocalServer;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    local = await startLocalServer({ maxTokens: MAX_TOKENS });
    browser = await launchChromium(executable as string);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await local?.close();
  });

  async function openPage(origin: string = local.origin): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(`${origin}/`);
    return page;
  }

  /** The page, once it has listed the server's models (its first request has answered). */
  async function openReadyPage(origin: string = local.origin): Promise<Page> {
    const page = await openPage(origin);
    await page.waitForSelector("select[name=model] option", { state: "attached" });
    return page;
  }

  /** Puts the code editor's caret at `at`, as a click there would. */
  async function placeCaret(page: Page, at: number): Promise<void> {
    await page.locator("textarea[name=code]").evaluate((element, offset) => {
      const area = element as HTMLTextAreaElement;
      area.focus();
      area.setSelectionRange(offset, offset);
      area.dispatchEvent(new Event("select"));
    }, at);
  }

  async function setMaxTokens(page: Page, value: number): Promise<void> {
    await page.click("details.settings summary");
    await page.fill("input[name=max-tokens]", String(value));
  }

  it("loads from / and lists the server's models", async () => {
    const page = await openPage();
    expect(new URL(page.url()).pathname).toBe("/playground/");
    const listed = await new Mercury({ baseURL: local.baseURL }).models.list();
    await page.waitForSelector("select[name=model] option", { state: "attached" });
    const offered = await page.$$eval("select[name=model] option", (options) =>
      options.map((option) => (option as HTMLOptionElement).value),
    );
    expect(offered).toEqual(listed.data.map((model) => model.id));
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  it("streams a chat answer as a canvas whose masks resolve frame by frame", async () => {
    const page = await openReadyPage();
    // Record every distinct canvas the page draws (the page is not told it is being watched).
    await page.evaluate(() => {
      const seen: { masked: number; total: number; text: string }[] = [];
      (window as unknown as { canvasFrames: typeof seen }).canvasFrames = seen;
      new MutationObserver(() => {
        const canvas = document.querySelector(".canvas");
        if (!canvas) return;
        const frame = {
          masked: Number(canvas.getAttribute("data-masked")),
          total: Number(canvas.getAttribute("data-total")),
          text: canvas.querySelector(".canvas-cells")?.textContent ?? "",
        };
        const last = seen[seen.length - 1];
        if (!last || last.masked !== frame.masked || last.text !== frame.text) seen.push(frame);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await page.fill("textarea[name=prompt]", "Write a function that adds two numbers");
    await page.click("button[name=send]");
    // A picture of the canvas mid-way, for the README; documentation only, so it asserts nothing.
    const midway = page
      .waitForFunction(() => Number(document.querySelector(".canvas")?.getAttribute("data-masked")) > 20, null, {
        timeout: 30_000,
      })
      .then(() => page.screenshot({ path: join(screenshots, "canvas.png") }))
      .catch(() => undefined);
    await page.waitForSelector(".message.assistant[data-status=done]", { timeout: 90_000 });
    await midway;
    await page.screenshot({ path: join(screenshots, "answer.png") });

    const frames = await page.evaluate(
      () => (window as unknown as { canvasFrames: { masked: number; total: number; text: string }[] }).canvasFrames,
    );
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(new Set(frames.map((frame) => frame.text)).size).toBeGreaterThanOrEqual(2);
    // Positions only ever get committed: the masked count never grows.
    for (let i = 1; i < frames.length; i++) {
      expect(frames[i]?.masked).toBeLessThanOrEqual(frames[i - 1]?.masked as number);
    }
    expect(frames[0]?.masked).toBeGreaterThan(frames[frames.length - 1]?.masked as number);
    const answer = page.locator(".message.assistant").last();
    expect((await textOf(answer.locator(".markdown"))).trim()).not.toBe("");
    expect(await textOf(answer.locator(".answer-footer"))).toMatch(/\d+ tokens · \d+ forwards/);
    expect(pageErrors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it("stop aborts the request and the server ends the generation", async () => {
    const page = await openReadyPage();
    await setMaxTokens(page, MAX_TOKENS);
    await page.fill("textarea[name=prompt]", "Explain how a hash map works, with an example in C.");
    await page.click("button[name=send]");
    await page.waitForSelector(".canvas"); // the first frame: the generation is running on the server
    await page.click("button[name=stop]"); // present only while the request is in flight
    await page.waitForSelector(".message.assistant[data-status=stopped]");
    await expect.poll(() => runningOn(local), { timeout: 30_000, interval: 100 }).toBe(0);
    expect(await textOf(page.locator(".message.assistant .badge").first())).toBe("stopped");
    await page.context().close();
  }, 120_000);

  it("fills the gap at the caret with the FIM answer", async () => {
    const page = await openReadyPage();
    await page.click("button[name=tab-code]");
    const editor = page.locator("textarea[name=code]");
    const code = await editor.inputValue();
    const caret = code.indexOf("return ") + "return ".length;
    await placeCaret(page, caret);
    await page.click("button[name=propose]");
    await page.waitForSelector(".proposal");
    await page.screenshot({ path: join(screenshots, "fim.png") });

    const client = new Mercury({ baseURL: local.baseURL });
    const direct = await client.fim.completions.create({
      model: "anneal-code-11m",
      prompt: code.slice(0, caret),
      suffix: code.slice(caret),
      max_tokens: 64,
    });
    const inserted = direct.choices[0]?.text ?? "";
    expect(inserted).not.toBe(""); // the built-in model does propose something here
    expect(await page.locator(".diff ins").count()).toBeGreaterThan(0);
    expect(await page.locator(".diff del").count()).toBe(0);
    await page.click("button[name=accept]");
    expect(await editor.inputValue()).toBe(code.slice(0, caret) + inserted + code.slice(caret));
    await page.context().close();
  }, 120_000);

  it("Keep JSON valid: the FIM proposal keeps a JSON document JSON; a caret where nothing could is an error shown", async () => {
    const page = await openReadyPage();
    await page.click("button[name=tab-code]");
    const editor = page.locator("textarea[name=code]");
    const code = '{\n  "name": "add",\n  "version": ,\n  "private": true\n}\n';
    await editor.fill(code);
    await page.check("input[name=fim-json]");
    await placeCaret(page, code.indexOf(": ,") + 2);
    await page.click("button[name=propose]");
    await page.waitForSelector(".proposal");
    await page.click("button[name=accept]");
    const filled = await editor.inputValue();
    expect(() => JSON.parse(filled)).not.toThrow();
    expect(filled.startsWith('{\n  "name": "add",\n  "version": ')).toBe(true);
    await editor.fill(code);
    await placeCaret(page, 1); // where a key goes, but a member there would need a comma after it
    await page.click("button[name=propose]");
    await page.waitForSelector(".code .error");
    expect(await textOf(page.locator(".code .error"))).toMatch(/where a key goes/);
    await page.context().close();
  }, 120_000);

  it("apply edit and next edit propose exactly what the API answers", async () => {
    const page = await openReadyPage();
    await page.click("button[name=tab-code]");
    const editor = page.locator("textarea[name=code]");
    const code = await editor.inputValue();
    const client = new Mercury({ baseURL: local.baseURL });

    await page.click("button[name=tool-apply]");
    const snippet = "def mean(values):\n    return sum(values) / len(values)\n";
    await page.fill("textarea[name=snippet]", snippet);
    await page.click("button[name=propose]");
    await page.waitForSelector(".proposal");
    const applyPrompt = buildApplyEditPrompt({ originalCode: code, updateSnippet: snippet });
    const applied = parseApplyEditReply(
      (
        await client.apply.completions.create({
          model: "anneal-code-11m",
          messages: applyPrompt.messages,
          max_tokens: 64,
        })
      ).choices[0]?.message.content,
    );
    await expectProposal(page, code, applied);

    await page.click("button[name=tool-next-edit]");
    const caret = code.indexOf("total = 0");
    await placeCaret(page, caret);
    await page.click("button[name=propose]");
    await page.waitForSelector(".proposal");
    const lines = code.slice(0, caret).split("\n");
    const editPrompt = buildNextEditPrompt({
      file: { path: "stats.py", content: code },
      cursor: { line: lines.length, column: (lines[lines.length - 1] as string).length + 1 },
    });
    const reply = await client.edit.completions.create({
      model: "anneal-code-11m",
      messages: editPrompt.messages,
      max_tokens: 64,
    });
    const suggestion = parseNextEditReply(reply.choices[0]?.message.content, editPrompt);
    await expectProposal(page, code, suggestion.kind === "edit" ? applyNextEdit(editPrompt, suggestion) : code);
    await page.context().close();
  }, 120_000);

  /**
   * The page shows "No change." for an unchanged result (then discarded), else a diff whose
   * acceptance gives `after` (then the original code is put back).
   */
  async function expectProposal(page: Page, before: string, after: string): Promise<void> {
    if (after === before) {
      expect(await textOf(page.locator(".diff.empty"))).toBe("No change.");
      expect(await page.locator("button[name=accept]").isDisabled()).toBe(true);
      await page.click("button[name=discard]");
      return;
    }
    expect(await page.locator(".diff .line.added, .diff .line.removed").count()).toBeGreaterThan(0);
    await page.click("button[name=accept]");
    expect(await page.locator("textarea[name=code]").inputValue()).toBe(after);
    // Put the original back for the next tool.
    await page.fill("textarea[name=code]", before);
  }

  it("shows the server's error as a message", async () => {
    const page = await openReadyPage();
    await setMaxTokens(page, MAX_TOKENS + 1);
    await page.fill("textarea[name=prompt]", "hello");
    await page.click("button[name=send]");
    const shown = await textOf(page.locator(".message.assistant[data-status=error] .error"));
    const direct = await fetch(`${local.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "anneal-code-11m",
        messages: [{ role: "user", content: "hello" }],
        max_tokens: MAX_TOKENS + 1,
        stream: true,
      }),
    });
    expect(direct.status).toBe(400);
    const { error } = (await direct.json()) as { error: { message: string } };
    expect(shown).toContain(error.message);
    await page.context().close();
  }, 60_000);

  it("asks for the API key once, keeps it, and then works", async () => {
    const keyed = await startLocalServer({ apiKeys: ["playground-secret"] });
    try {
      const page = await openPage(keyed.origin);
      // The page itself is public; the API answers 401 and the page asks for the key.
      await page.waitForSelector("form.key-form input[name=api-key-value]");
      expect(await textOf(page.locator(".banner"))).toMatch(/API key/);
      await page.fill("input[name=api-key-value]", "wrong-key");
      await page.click("button[name=save-key]");
      await page.waitForSelector("form.key-form input[name=api-key-value]");
      expect(await page.locator("select[name=model] option").count()).toBe(0);

      await page.fill("input[name=api-key-value]", "playground-secret");
      await page.click("button[name=save-key]");
      await page.waitForSelector("select[name=model] option", { state: "attached" });
      expect(await page.locator(".banner").count()).toBe(0);
      // The stats panel reads /metrics with the key too.
      await expect.poll(() => textOf(page.locator("[data-stat=running]")), { timeout: 10_000 }).toMatch(/^\d+$/);

      await page.reload(); // kept in this browser's local storage: not asked again
      await page.waitForSelector("select[name=model] option", { state: "attached" });
      expect(await page.locator("form.key-form").count()).toBe(0);
      await page.context().close();
    } finally {
      await keyed.close();
    }
  }, 60_000);
});
