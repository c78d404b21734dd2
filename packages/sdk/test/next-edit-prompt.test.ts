// The next-edit prompt builder produces the documented tag layout; the reply parser handles fences and `None`.
import { describe, expect, it } from "vitest";
import { applyNextEdit, buildNextEditPrompt, parseNextEditReply } from "../src/index";

const diff = "--- stats.py\n+++ stats.py\n@@ -1,1 +1,1 @@\n-def mean(xs):\n+def mean(values):\n";

describe("buildNextEditPrompt", () => {
  it("reproduces the documented example request exactly", () => {
    const prompt = buildNextEditPrompt({
      file: { path: "stats.py", content: "def mean(values):\n    return sum(xs) / len(xs)" },
      cursor: { line: 2, column: 18 },
      editHistory: [diff],
    });
    expect(prompt.content).toBe(
      "<|recently_viewed_code_snippets|>\n\n<|/recently_viewed_code_snippets|>\n\n<|current_file_content|>\ncurrent_file_path: stats.py\n<|code_to_edit|>\ndef mean(values):\n    return sum(xs<|cursor|>) / len(xs)\n<|/code_to_edit|>\n<|/current_file_content|>\n\n<|edit_diff_history|>\n--- stats.py\n+++ stats.py\n@@ -1,1 +1,1 @@\n-def mean(xs):\n+def mean(values):\n\n<|/edit_diff_history|>",
    );
    expect(prompt.messages).toEqual([{ role: "user", content: prompt.content }]);
  });

  it("wraps each recently viewed snippet with its path", () => {
    const prompt = buildNextEditPrompt({
      recentlyViewed: [
        { path: "src/stats.py", content: "def median(v):\n    ...\n" },
        { path: "src/io.py", content: "def load(p): ..." },
      ],
      file: { path: "a.py", content: "x = 1" },
      cursor: { line: 1, column: 1 },
    });
    expect(prompt.content).toMatch(
      /^<\|recently_viewed_code_snippets\|>\n<\|recently_viewed_code_snippet\|>\ncode_snippet_file_path: src\/stats.py\ndef median\(v\):\n {4}\.\.\.\n<\|\/recently_viewed_code_snippet\|>\n\n<\|recently_viewed_code_snippet\|>\ncode_snippet_file_path: src\/io.py\ndef load\(p\): \.\.\.\n<\|\/recently_viewed_code_snippet\|>\n<\|\/recently_viewed_code_snippets\|>\n\n/,
    );
    expect(prompt.content).toMatch(/<\|edit_diff_history\|>\n\n<\|\/edit_diff_history\|>$/);
  });

  it("takes 5 lines above and 10 below the cursor by default, with the rest of the file around them", () => {
    const content = `${Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join("\n")}\n`;
    const prompt = buildNextEditPrompt({ file: { path: "f.txt", content }, cursor: { line: 20, column: 3 } });

    expect(prompt.region).toMatchObject({ startLine: 15, endLine: 30 });
    expect(prompt.content).toContain("line 14\n<|code_to_edit|>\nline 15\n");
    expect(prompt.content).toContain("li<|cursor|>ne 20");
    expect(prompt.content).toContain("line 30\n<|/code_to_edit|>\nline 31\n");
    expect(prompt.content).toContain("line 40\n<|/current_file_content|>");
    expect(applyNextEdit(prompt, { kind: "none" })).toBe(content);
  });

  it("honours an explicit region, clamps it to the file, and rejects a cursor outside it", () => {
    const content = "a\nb\nc\nd";
    const prompt = buildNextEditPrompt({
      file: { path: "f", content },
      cursor: { line: 4, column: 99 },
      editableRegion: { startLine: 3, endLine: 50 },
    });
    expect(prompt.region).toEqual({ startLine: 3, endLine: 4, text: "c\nd" });
    expect(prompt.content).toContain("<|code_to_edit|>\nc\nd<|cursor|>\n<|/code_to_edit|>");
    expect(applyNextEdit(prompt, { kind: "edit", text: "C\nD" })).toBe("a\nb\nC\nD");
    expect(() =>
      buildNextEditPrompt({
        file: { path: "f", content },
        cursor: { line: 1, column: 1 },
        editableRegion: { startLine: 3, endLine: 4 },
      }),
    ).toThrow(/outside the editable region/);
  });
});

describe("parseNextEditReply", () => {
  it("strips the fence and any echoed cursor", () => {
    expect(parseNextEditReply("```python\nx = va<|cursor|>lue\n```")).toEqual({ kind: "edit", text: "x = value" });
  });

  it("reads None, an empty reply, and a fenced None as no suggestion", () => {
    expect(parseNextEditReply("None")).toEqual({ kind: "none" });
    expect(parseNextEditReply("")).toEqual({ kind: "none" });
    expect(parseNextEditReply(null)).toEqual({ kind: "none" });
    expect(parseNextEditReply("```\nNone\n```")).toEqual({ kind: "none" });
  });

  it("treats a reply equal to the current region as no suggestion", () => {
    const prompt = buildNextEditPrompt({
      file: { path: "f", content: "a = 1\nb = 2" },
      cursor: { line: 1, column: 1 },
    });
    expect(parseNextEditReply("```\na = 1\nb = 2\n```", prompt)).toEqual({ kind: "none" });
    expect(parseNextEditReply("```\na = 1\nb = 3\n```", prompt)).toEqual({ kind: "edit", text: "a = 1\nb = 3" });
  });

  it("drops echoed code_to_edit tags", () => {
    expect(parseNextEditReply("<|code_to_edit|>\ny = 2\n<|/code_to_edit|>")).toEqual({ kind: "edit", text: "y = 2" });
  });
});
