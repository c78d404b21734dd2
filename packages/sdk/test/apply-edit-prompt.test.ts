// The apply-edit prompt builder and the merged-code parser.
import { describe, expect, it } from "vitest";
import { buildApplyEditPrompt, EXISTING_CODE_MARKER, MercuryError, parseApplyEditReply } from "../src/index";

describe("buildApplyEditPrompt", () => {
  it("produces the documented two sections", () => {
    const prompt = buildApplyEditPrompt({
      originalCode: "class Counter:\n    def inc(self):\n        self.n += 1\n",
      updateSnippet: `${EXISTING_CODE_MARKER}\n    def reset(self):\n        self.n = 0`,
    });
    expect(prompt.content).toBe(
      "<|original_code|>\nclass Counter:\n    def inc(self):\n        self.n += 1\n<|/original_code|>\n\n<|update_snippet|>\n// ... existing code ...\n    def reset(self):\n        self.n = 0\n<|/update_snippet|>",
    );
    expect(prompt.messages).toEqual([{ role: "user", content: prompt.content }]);
  });
});

describe("parseApplyEditReply", () => {
  it("returns plain merged code unchanged", () => {
    expect(parseApplyEditReply("a = 1\nb = 2\n")).toBe("a = 1\nb = 2\n");
  });

  it("strips a surrounding fence (with or without a language) and updated_code tags", () => {
    expect(parseApplyEditReply("```ts\nconst a = 1;\n```")).toBe("const a = 1;");
    expect(parseApplyEditReply("<|updated_code|>\nx\n<|/updated_code|>")).toBe("x");
  });

  it("keeps fences that are part of the code", () => {
    const markdown = "# Title\n```js\nx()\n```\nmore";
    expect(parseApplyEditReply(markdown)).toBe(markdown);
  });

  it("rejects an empty reply", () => {
    expect(() => parseApplyEditReply("  ")).toThrow(MercuryError);
    expect(() => parseApplyEditReply(null)).toThrow(/empty/);
  });
});
