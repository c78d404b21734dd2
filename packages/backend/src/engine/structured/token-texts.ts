// What each vocabulary entry writes, and the token classes constrained decoding draws from: tokens that
// are safe inside a JSON string, and tokens made of number characters. Computed once per tokenizer.

/** The tokenizer calls this needs (TextTokenizer has them). */
export interface TokenCodec {
  encode(text: string): number[];
  decode(ids: ArrayLike<number>): string;
}

export interface TokenTexts {
  vocab: number;
  /** The text each token adds after other text ("" for special tokens and partial characters). */
  text: string[];
  /** 1 where a token may stand inside a JSON string: no quote, backslash or control character. */
  stringSafe: Uint8Array;
  /** Tokens that write some text (not special tokens, not lone pieces of a character). */
  writing: number[];
  /** Tokens made of digits, "-" and "." only: what a number slot draws from. */
  numeric: number[];
  /** The longest text among string-safe tokens, in characters. */
  longestString: number;
}

const cache = new WeakMap<TokenCodec, TokenTexts>();

/**
 * Each token's text is read after an anchor token (`decode([a, t])` minus `decode([a])`), so tokenizers
 * that drop a word's leading space at the start of a text (metaspace) still report it.
 */
export function tokenTexts(codec: TokenCodec, vocab: number, excluded: Iterable<number>): TokenTexts {
  const cached = cache.get(codec);
  if (cached && cached.vocab === vocab) return cached;
  const anchor = codec.encode("a")[0] ?? 0;
  const anchorText = codec.decode([anchor]);
  const skip = new Set(excluded);
  const text: string[] = new Array(vocab);
  const stringSafe = new Uint8Array(vocab);
  const writing: number[] = [];
  const numeric: number[] = [];
  let longestString = 1;
  for (let id = 0; id < vocab; id++) {
    const whole = skip.has(id) ? "" : codec.decode([anchor, id]);
    const piece = whole.startsWith(anchorText) ? whole.slice(anchorText.length) : "";
    // A lone piece of a multi-byte character decodes to U+FFFD: never chosen on its own.
    text[id] = piece.includes("\uFFFD") ? "" : piece;
    const t = text[id] as string;
    if (t) writing.push(id);
    if (t && isStringSafe(t)) {
      stringSafe[id] = 1;
      longestString = Math.max(longestString, t.length);
    }
    if (/^[-.0-9]+$/.test(t)) numeric.push(id);
  }
  const texts = { vocab, text, stringSafe, writing, numeric, longestString };
  cache.set(codec, texts);
  return texts;
}

/** No quote, backslash or control character: any run of such texts is a valid JSON string body. */
function isStringSafe(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x22 || code === 0x5c) return false;
  }
  return true;
}
