// The tokenizer.json of a byte-level BPE tokenizer (GPT-2's scheme): one definition for the ones
// training writes and the ones rebuilt from a GGUF file's metadata.

/** The ByteLevel pre-tokenizer (with GPT-2's split regex, or after another Split) and decoder. */
export function byteLevel(useRegex: boolean): object {
  return { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: useRegex };
}

export interface AddedToken {
  id: number;
  content: string;
  /** Control tokens (default) are special; user-defined ones are normalised text. */
  special?: boolean;
}

/** tokenizer.json for a BPE vocabulary, its merges and added tokens (also put in the vocabulary). */
export function byteLevelTokenizerJson(
  vocab: Record<string, number>,
  merges: string[],
  added: AddedToken[],
  preTokenizer: object = byteLevel(true),
): object {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added.map(({ id, content, special = true }) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: !special,
      special,
    })),
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: null,
    decoder: byteLevel(true),
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: { ...vocab, ...Object.fromEntries(added.map(({ id, content }) => [content, id])) },
      merges,
    },
  };
}
