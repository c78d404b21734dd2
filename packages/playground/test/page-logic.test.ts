// The page's pure parts: canvas cells, answer stats, caret positions, request fields, bare code.
import type { CanvasFrame } from "@anneal/sdk";
import { describe, expect, it } from "vitest";
import { looksLikeBareCode } from "../src/bare-code";
import { answerStats, formatStats } from "../src/chat/answer-stats";
import { canvasCells, canvasProgress } from "../src/chat/canvas-cells";
import { DEFAULT_CHAT_SETTINGS, requestFields } from "../src/chat/chat-settings";
import { lineColumnAt, splitAtCaret } from "../src/code/caret";

describe("canvasCells", () => {
  const before: CanvasFrame = { pieces: ["a", "b", "c"], masked: [false, true, true], confidence: [0.9, 0.2, null] };
  const after: CanvasFrame = { pieces: ["a", "B", "c"], masked: [false, false, true], confidence: [0.9, 0.7, 0.1] };

  it("marks only the positions committed by this frame as fresh", () => {
    const cells = canvasCells(after, before);
    expect(cells.map((cell) => cell.fresh)).toEqual([false, true, false]);
    expect(cells[1]).toEqual({ text: "B", masked: false, confidence: 0.7, fresh: true });
  });

  it("treats every committed position of the first frame as fresh, and null confidence as unknown", () => {
    const cells = canvasCells(before, undefined);
    expect(cells.map((cell) => cell.fresh)).toEqual([true, false, false]);
    expect(cells[2]?.confidence).toBeUndefined();
  });

  it("counts masked positions", () => {
    expect(canvasProgress(before)).toEqual({ masked: 2, total: 3 });
  });
});

describe("answerStats", () => {
  it("derives speed from the usage the server sent and the stream's timing", () => {
    const stats = answerStats(
      { sentAt: 1000, firstTextAt: 1100, endedAt: 3000 },
      {
        prompt_tokens: 5,
        completion_tokens: 40,
        total_tokens: 45,
        reasoning_tokens: 0,
        cached_input_tokens: 0,
        forward_passes: 10,
        tokens_per_forward: 4,
      },
    );
    expect(stats).toEqual({
      tokens: 40,
      forwardPasses: 10,
      tokensPerForward: 4,
      tokensPerSecond: 20,
      timeToFirstTextMs: 100,
    });
    expect(formatStats(stats)).toBe("40 tokens · 10 forwards · 4.00 tok/fwd · 20.0 tok/s · first text 100 ms");
  });

  it("leaves out what it does not know instead of guessing", () => {
    const stats = answerStats({ sentAt: 0 }, undefined);
    expect(formatStats(stats)).toBe("");
    expect(stats.tokensPerSecond).toBeUndefined();
  });
});

describe("caret helpers", () => {
  it("gives 1-based line and column", () => {
    const text = "ab\ncde\n";
    expect(lineColumnAt(text, 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumnAt(text, 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumnAt(text, 99)).toEqual({ line: 3, column: 1 });
  });

  it("splits the text at the caret, clamped to the text", () => {
    expect(splitAtCaret("hello", 2)).toEqual({ prefix: "he", suffix: "llo" });
    expect(splitAtCaret("hello", -3)).toEqual({ prefix: "", suffix: "hello" });
  });
});

describe("requestFields", () => {
  it("asks for the canvas only with the live canvas on, and a seed only when one is given", () => {
    const live = requestFields(DEFAULT_CHAT_SETTINGS);
    expect(live).toMatchObject({
      stream: true,
      diffusing: true,
      canvas: true,
      stream_options: { include_usage: true },
    });
    expect(live).not.toHaveProperty("seed");
    const plain = requestFields({ ...DEFAULT_CHAT_SETTINGS, liveCanvas: false, seed: "7", realtime: true });
    expect(plain).not.toHaveProperty("diffusing");
    expect(plain).not.toHaveProperty("canvas");
    expect(plain).toMatchObject({ seed: 7, realtime: true });
  });
});

describe("looksLikeBareCode", () => {
  it("tells unfenced code from prose, lists and fenced answers", () => {
    expect(looksLikeBareCode("function add(a, b) {\n  return a + b;\n}")).toBe(true);
    expect(looksLikeBareCode("def f(x):\n    return x\n")).toBe(true);
    expect(looksLikeBareCode("Here is how:\n  - first\n  - second\nDone.")).toBe(false);
    expect(looksLikeBareCode("```js\nconst a = 1;\n```")).toBe(false);
    expect(looksLikeBareCode("One line of prose.")).toBe(false);
  });
});
