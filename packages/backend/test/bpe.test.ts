// The BPE trainer learns the frequent merges, and its tokenizer.json loads in @huggingface/tokenizers
// and round-trips any text (code, unicode, whitespace runs).
import { describe, expect, it } from "vitest";
import { ChatTemplate } from "../src/checkpoint/chat-template";
import { TextTokenizer } from "../src/checkpoint/tokenizer";
import { trainBpe } from "../src/train/bpe-trainer";
import { CHAT_TEMPLATE, SPECIAL_TOKENS, tokenizerFiles } from "../src/train/tokenizer-files";

const corpus = [
  "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
  "export function sub(a: number, b: number): number {\n  return a - b;\n}\n",
  "// the function returns the sum\nconst total = add(1, 2);\n",
  "## Usage\n\nCall `add` with two numbers; the function returns their sum.\n",
].flatMap((text) => [text, text, text]);

describe("trainBpe", () => {
  const bpe = trainBpe(corpus, 400);

  it("starts from the 256 bytes and learns the most frequent pairs first", () => {
    expect(bpe.vocab.size).toBeGreaterThan(256);
    expect(bpe.vocab.size).toBeLessThanOrEqual(400);
    expect(bpe.vocab.get("Ġnumber")).toBeDefined(); // " number" is frequent enough to be one token
    expect(bpe.vocab.get("Ġfunction")).toBeDefined();
    expect(bpe.merges[0]?.join("")).toHaveLength(2);
  });

  it("is deterministic", () => {
    expect(trainBpe(corpus, 400).merges).toEqual(bpe.merges);
  });

  it("writes a tokenizer.json that @huggingface/tokenizers loads and that round-trips text", () => {
    const files = tokenizerFiles(bpe);
    const tokenizer = new TextTokenizer(files.tokenizerJson, files.tokenizerConfig, "tokenizer.json");
    for (const text of ["export function add(a, b) {\n    return a + b;\n}", "héllo wörld ✓ 日本", "  \t\n\n  x"]) {
      const ids = tokenizer.encode(text);
      expect(tokenizer.decode(ids)).toBe(text);
    }
    const common = tokenizer.encode("export function add(a: number, b: number): number {");
    expect(common.length).toBeLessThan(20); // far fewer tokens than bytes
    expect(tokenizer.encode(SPECIAL_TOKENS.mask)).toEqual([files.ids.mask]);
    expect(files.vocabSize).toBe(bpe.vocab.size + Object.keys(SPECIAL_TOKENS).length);
  });

  it("the chat template renders turns ending in EOS and opens the assistant turn", () => {
    const template = new ChatTemplate(CHAT_TEMPLATE, {}, "tokenizer_config.json");
    expect(template.render([{ role: "user", content: "hi" }])).toBe("<|user|>\nhi<|endoftext|><|assistant|>\n");
  });
});
