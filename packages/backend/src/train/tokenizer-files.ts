// Writes a trained BPE vocabulary as Hugging Face tokenizer files: tokenizer.json (ByteLevel
// pre-tokenizer and decoder, BPE model, special tokens) and tokenizer_config.json (chat template).
import { byteLevelTokenizerJson } from "../checkpoint/byte-level-bpe";
import type { BpeVocabulary } from "./bpe-trainer";

/** The special tokens our models use, in id order after the BPE vocabulary. */
export const SPECIAL_TOKENS = {
  eos: "<|endoftext|>",
  mask: "<|mdm_mask|>",
  system: "<|system|>",
  user: "<|user|>",
  assistant: "<|assistant|>",
  fimPrefix: "<|fim_prefix|>",
  fimSuffix: "<|fim_suffix|>",
  fimMiddle: "<|fim_middle|>",
} as const;

/**
 * Each turn is `<|role|>\n` + content + EOS; the answer follows `<|assistant|>\n` and is padded with
 * EOS, which the model learns to produce at the end of its canvas.
 */
export const CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|endoftext|>' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

export interface TokenizerFiles {
  tokenizerJson: object;
  tokenizerConfig: object;
  /** special token name -> id */
  ids: Record<keyof typeof SPECIAL_TOKENS, number>;
  vocabSize: number;
}

export function tokenizerFiles(bpe: BpeVocabulary): TokenizerFiles {
  const ids = {} as Record<keyof typeof SPECIAL_TOKENS, number>;
  const specials = Object.entries(SPECIAL_TOKENS).map(([name, content], i) => {
    const id = bpe.vocab.size + i;
    ids[name as keyof typeof SPECIAL_TOKENS] = id;
    return { id, content };
  });
  const tokenizerJson = byteLevelTokenizerJson(
    Object.fromEntries(bpe.vocab),
    bpe.merges.map(([a, b]) => `${a} ${b}`),
    specials,
  );
  const next = bpe.vocab.size + specials.length;
  const tokenizerConfig = {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: null,
    eos_token: SPECIAL_TOKENS.eos,
    pad_token: SPECIAL_TOKENS.eos,
    mask_token: SPECIAL_TOKENS.mask,
    model_max_length: 4096,
    clean_up_tokenization_spaces: false,
    chat_template: CHAT_TEMPLATE,
  };
  return { tokenizerJson, tokenizerConfig, ids, vocabSize: next };
}
