// Files as the code commands read and write them: bytes outside the edit kept exactly (Latin-1, BOM,
// CRLF), symlinks written through, binary files refused; and the apply-edit plausibility check.
import { lstatSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../src/exit-codes";
import { implausibleMerge } from "../src/files/plausible-merge";
import { readSourceFile, writeSourceFile } from "../src/files/source-file";

const dir = () => mkdtempSync(join(tmpdir(), "anneal-source-"));

describe("source files", () => {
  it("a Latin-1 file keeps its bytes: é stays one byte 0xE9, not U+FFFD", () => {
    const file = join(dir(), "latin1.c");
    writeFileSync(file, Buffer.from("/* caf\xe9 */\nint x;\n", "latin1"));
    const source = readSourceFile(file);
    expect(source.encoding).toBe("latin1");
    writeSourceFile(source, source.text.replace("int x;", "int x = 1;"));
    expect(readFileSync(file)).toEqual(Buffer.from("/* caf\xe9 */\nint x = 1;\n", "latin1"));
  });

  it("refuses to write a character a Latin-1 file cannot hold, and leaves the file alone", () => {
    const file = join(dir(), "latin1.c");
    const bytes = Buffer.from("caf\xe9\n", "latin1");
    writeFileSync(file, bytes);
    const source = readSourceFile(file);
    expect(() => writeSourceFile(source, "caf\xe9 \u2603\n")).toThrow(/Latin-1 cannot hold/);
    expect(readFileSync(file)).toEqual(bytes);
  });

  it("CRLF files are shown with LF and written back with CRLF; a BOM is kept", () => {
    const file = join(dir(), "win.ts");
    writeFileSync(file, "\uFEFFconst a = 1;\r\nconst b = 2;\r\n");
    const source = readSourceFile(file);
    expect(source.text).toBe("const a = 1;\nconst b = 2;\n");
    writeSourceFile(source, "const a = 1;\nconst c = 3;\nconst b = 2;\n");
    expect(readFileSync(file, "utf8")).toBe("\uFEFFconst a = 1;\r\nconst c = 3;\r\nconst b = 2;\r\n");
  });

  it("a file with mixed line endings is passed through untouched", () => {
    const file = join(dir(), "mixed.ts");
    writeFileSync(file, "a\r\nb\nc\r\n");
    const source = readSourceFile(file);
    expect(source.text).toBe("a\r\nb\nc\r\n");
    writeSourceFile(source, `${source.text}d\n`);
    expect(readFileSync(file, "utf8")).toBe("a\r\nb\nc\r\nd\n");
  });

  it("writes through a symlink to its target; the link stays a link", () => {
    const folder = dir();
    const target = join(folder, "real.ts");
    const link = join(folder, "link.ts");
    writeFileSync(target, "old\n");
    symlinkSync(target, link);
    writeSourceFile(readSourceFile(link), "new\n");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("new\n");
  });

  it("refuses a binary file with a usage error naming it", () => {
    const file = join(dir(), "image.png");
    writeFileSync(file, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    expect(() => readSourceFile(file)).toThrow(UsageError);
    expect(() => readSourceFile(file)).toThrow(/image.png: looks binary/);
  });
});

describe("apply-edit plausibility", () => {
  const original = "function a() {\n  return 1;\n}\n\nfunction b() {\n  return 2;\n}\n";
  const snippet = "// ... existing code ...\nfunction b() {\n  return 3;\n}\n";
  it("accepts a merge that keeps the file and contains the snippet", () => {
    expect(implausibleMerge(original, snippet, original.replace("return 2", "return 3"))).toBeUndefined();
  });
  it("refuses an answer that drops the file or ignores the snippet", () => {
    expect(implausibleMerge(original, snippet, "const garbage = true;\n")).toMatch(/keeps 0 % of the original's lines/);
    expect(implausibleMerge(original, "const z = 26;\nconst y = 25;\n", original)).toMatch(/0 % of the snippet's/);
  });
});

describe("terminal rows", () => {
  it("counts wrapped rows, wide characters and tabs, not just lines", async () => {
    const { terminalRows } = await import("../src/render/terminal-rows");
    expect(terminalRows("short", 80)).toBe(1);
    expect(terminalRows("x".repeat(81), 80)).toBe(2);
    expect(terminalRows("a\nb\n", 80)).toBe(3); // the empty last line is a row too
    expect(terminalRows("漢".repeat(41), 80)).toBe(2); // 82 columns
    expect(terminalRows(`${"\t".repeat(10)}x`, 80)).toBe(2); // 81 columns
  });
});
