// Byte-level BPE's alphabet: every byte maps to one printable character (GPT-2's table), so any text
// is a string over 256 base tokens; and the pre-tokenizer regex that splits text into words.

/** byte -> character, as in GPT-2 and every Hugging Face ByteLevel tokenizer. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable = new Set<number>();
  for (let b = 33; b <= 126; b++) printable.add(b);
  for (let b = 161; b <= 172; b++) printable.add(b);
  for (let b = 174; b <= 255; b++) printable.add(b);
  let extra = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCharCode(printable.has(b) ? b : 256 + extra++));
})();

/**
 * GPT-2's pre-tokenizer pattern (what ByteLevel with use_regex splits on): contractions, letter runs,
 * digit runs, punctuation runs, each with an optional leading space, and whitespace runs.
 */
export const PRE_TOKENIZER = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

const encoder = new TextEncoder();

/** The byte-level characters of one pre-tokenized word. */
export function wordToSymbols(word: string): string[] {
  return Array.from(encoder.encode(word), (byte) => BYTE_TO_CHAR[byte] as string);
}

export function preTokenize(text: string): string[] {
  return text.match(PRE_TOKENIZER) ?? [];
}
