// A GGUF file's tokenizer (`tokenizer.ggml.*`) as the tokenizer.json our tokenizer stack runs, and
// back: byte-level BPE ("gpt2" in GGUF: tokens, token types, merges, the pre-tokenizer's name).
import { CheckpointError } from "../errors";
import { type AddedToken, byteLevel, byteLevelTokenizerJson } from "./byte-level-bpe";
import type { GgufMetadata } from "./gguf";
import type { GgufEntry } from "./gguf-writer";

/** llama.cpp's token types. */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

// The pre-tokenizer regexes of the families llama.cpp names in `tokenizer.ggml.pre` (as their
// tokenizer.json files publish them). Names not listed fall back to GPT-2's, as llama.cpp does.
const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const SPLIT_PATTERNS: Record<string, string> = {
  llama3: LLAMA3_PATTERN,
  "llama-v3": LLAMA3_PATTERN,
  "llama-bpe": LLAMA3_PATTERN,
  "smaug-bpe": LLAMA3_PATTERN,
  dbrx: LLAMA3_PATTERN,
  qwen2: QWEN2_PATTERN,
  "deepseek-r1-qwen": QWEN2_PATTERN,
};
const GPT2_NAMES = new Set(["default", "gpt-2", "gpt2"]);

function preTokenizer(name: string): object {
  const pattern = SPLIT_PATTERNS[name];
  if (!pattern) return byteLevel(true);
  return {
    type: "Sequence",
    pretokenizers: [
      { type: "Split", pattern: { Regex: pattern }, behavior: "Isolated", invert: false },
      byteLevel(false),
    ],
  };
}

export interface GgufTokenizer {
  tokenizerJson: object;
  /** bos/eos/pad/mask tokens as strings (for the chat template) and add_bos_token. */
  tokenizerConfig: Record<string, unknown>;
  chatTemplate: string | undefined;
}

export function tokenizerFromGguf(meta: GgufMetadata, file: string, warn: (message: string) => void): GgufTokenizer {
  const model = meta.string("tokenizer.ggml.model");
  if (model !== "gpt2") {
    throw new CheckpointError(file, `tokenizer.ggml.model "${model}" is not supported (byte-level BPE, "gpt2", is)`);
  }
  const tokens = meta.strings("tokenizer.ggml.tokens");
  const types = meta.integers("tokenizer.ggml.token_type") ?? tokens.map(() => TOKEN_TYPE.normal);
  if (types.length !== tokens.length) {
    throw new CheckpointError(
      file,
      `tokenizer.ggml.token_type has ${types.length} entries for ${tokens.length} tokens`,
    );
  }
  const merges = meta.has("tokenizer.ggml.merges") ? meta.strings("tokenizer.ggml.merges") : [];
  const pre = meta.string("tokenizer.ggml.pre", "default");
  if (!SPLIT_PATTERNS[pre] && !GPT2_NAMES.has(pre)) {
    warn(`${file}: pre-tokenizer "${pre}" is not one we know; using GPT-2's (as llama.cpp does)`);
  }
  const vocab: Record<string, number> = {};
  const added: AddedToken[] = [];
  tokens.forEach((token, id) => {
    if (Object.hasOwn(vocab, token)) throw new CheckpointError(file, `token ${JSON.stringify(token)} appears twice`);
    vocab[token] = id;
    const type = types[id];
    if (type === TOKEN_TYPE.control || type === TOKEN_TYPE.userDefined) {
      added.push({ id, content: token, special: type === TOKEN_TYPE.control });
    }
  });
  const tokenizerJson = byteLevelTokenizerJson(vocab, merges, added, preTokenizer(pre));
  const tokenizerConfig: Record<string, unknown> = {};
  for (const [key, name] of [
    ["bos_token", "tokenizer.ggml.bos_token_id"],
    ["eos_token", "tokenizer.ggml.eos_token_id"],
    ["pad_token", "tokenizer.ggml.padding_token_id"],
    ["mask_token", "tokenizer.ggml.mask_token_id"],
  ] as const) {
    const id = meta.optionalInteger(name);
    if (id === undefined) continue;
    if (id < 0 || id >= tokens.length)
      throw new CheckpointError(file, `${name} ${id} is outside the ${tokens.length} tokens`);
    tokenizerConfig[key] = tokens[id];
  }
  if (meta.has("tokenizer.ggml.add_bos_token"))
    tokenizerConfig.add_bos_token = meta.boolean("tokenizer.ggml.add_bos_token", false);
  const chatTemplate = meta.has("tokenizer.chat_template") ? meta.string("tokenizer.chat_template") : undefined;
  return { tokenizerJson, tokenizerConfig, chatTemplate };
}

interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[] };
  added_tokens?: { id: number; content: string; special?: boolean }[];
  pre_tokenizer?: unknown;
}

/** The GGUF tokenizer entries for a byte-level BPE tokenizer.json (our own models'). */
export function tokenizerToGguf(
  json: object,
  ids: { eos?: number; pad?: number; mask?: number; bos?: number },
): GgufEntry[] {
  const { model, added_tokens: added = [], pre_tokenizer: pre } = json as TokenizerJson;
  if (model?.type !== "BPE" || !model.vocab) throw new Error("only byte-level BPE tokenizers can be written to GGUF");
  const size = Math.max(...Object.values(model.vocab), ...added.map((t) => t.id)) + 1;
  const tokens = Array.from({ length: size }, (_, id) => `[PAD${id}]`);
  const types: number[] = Array.from({ length: size }, () => TOKEN_TYPE.unused);
  for (const [token, id] of Object.entries(model.vocab)) {
    tokens[id] = token;
    types[id] = TOKEN_TYPE.normal;
  }
  for (const token of added) {
    tokens[token.id] = token.content;
    types[token.id] = token.special ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined;
  }
  const merges = (model.merges ?? []).map((merge) => (Array.isArray(merge) ? merge.join(" ") : merge));
  const entries: GgufEntry[] = [
    { key: "tokenizer.ggml.model", type: "string", value: "gpt2" },
    { key: "tokenizer.ggml.pre", type: "string", value: preTokenizerName(pre) },
    { key: "tokenizer.ggml.tokens", type: "strings", value: tokens },
    { key: "tokenizer.ggml.token_type", type: "i32s", value: types },
    { key: "tokenizer.ggml.merges", type: "strings", value: merges },
  ];
  for (const [key, id] of [
    ["tokenizer.ggml.bos_token_id", ids.bos],
    ["tokenizer.ggml.eos_token_id", ids.eos],
    ["tokenizer.ggml.padding_token_id", ids.pad],
    ["tokenizer.ggml.mask_token_id", ids.mask],
  ] as const) {
    if (id !== undefined) entries.push({ key, type: "u32", value: id });
  }
  return entries;
}

/** The GGUF name of a tokenizer.json pre-tokenizer: GPT-2's plain ByteLevel, or a known Split regex. */
function preTokenizerName(pre: unknown): string {
  const text = JSON.stringify(pre ?? null);
  if (text.includes(JSON.stringify(LLAMA3_PATTERN).slice(1, -1))) return "llama-bpe";
  if (text.includes(JSON.stringify(QWEN2_PATTERN).slice(1, -1))) return "qwen2";
  return "gpt-2";
}
