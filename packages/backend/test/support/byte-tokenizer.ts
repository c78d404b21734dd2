// A minimal but real byte-level BPE tokenizer.json (256 byte tokens, no merges, some special
// tokens), for test checkpoints. @huggingface/tokenizers loads it like any Hub tokenizer.

import { byteLevelTokenizerJson } from "../../src/checkpoint/byte-level-bpe";
import { BYTE_TO_CHAR } from "../../src/train/byte-level";

export const SPECIAL_TOKENS = ["<|endoftext|>", "<|mask|>", "<|user|>", "<|assistant|>"] as const;

/** tokenizer.json with ids 0–255 for bytes (no merges) and the special tokens after them. */
export function byteTokenizerJson(): object {
  const vocab = Object.fromEntries(BYTE_TO_CHAR.map((char, id) => [char, id]));
  return byteLevelTokenizerJson(
    vocab,
    [],
    SPECIAL_TOKENS.map((content, i) => ({ id: 256 + i, content })),
  );
}

export const CHAT_TEMPLATE =
  "{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'] }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";
