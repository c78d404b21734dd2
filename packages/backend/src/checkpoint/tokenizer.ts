// Text <-> token ids through @huggingface/tokenizers, from the checkpoint's tokenizer.json.
import { Tokenizer } from "@huggingface/tokenizers";
import { CheckpointError } from "../errors";
import { TokenizeWorker } from "./tokenize-worker";

/** Texts longer than this are tokenized on a worker thread (shorter ones take well under a millisecond). */
const WORKER_THRESHOLD_CHARS = 16 * 1024;

export class TextTokenizer {
  readonly #tokenizer: Tokenizer;
  readonly #worker: TokenizeWorker;
  /**
   * The most characters one token can stand for (its longest vocabulary entry or added token). A text
   * longer than `tokens × maxTokenChars` cannot fit in `tokens`: a bound checked before tokenizing.
   */
  readonly maxTokenChars: number;

  constructor(tokenizerJson: object, tokenizerConfig: object, file: string) {
    try {
      this.#tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw new CheckpointError(file, `cannot build the tokenizer: ${(error as Error).message}`);
    }
    this.#worker = new TokenizeWorker(tokenizerJson, tokenizerConfig);
    this.maxTokenChars = longestToken(tokenizerJson);
  }

  /** Token ids of `text`; special-token strings inside it are recognised. */
  encode(text: string, { addSpecialTokens = false } = {}): number[] {
    return this.#tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  /** Like encode(), but long texts are tokenized off the event loop. */
  encodeAsync(text: string): Promise<number[]> {
    return text.length < WORKER_THRESHOLD_CHARS ? Promise.resolve(this.encode(text)) : this.#worker.encode(text);
  }

  decode(ids: ArrayLike<number>, { skipSpecialTokens = true } = {}): string {
    if (ids.length === 0) return ""; // the library rejects an empty list
    return this.#tokenizer.decode(Array.from(ids), { skip_special_tokens: skipSpecialTokens });
  }

  tokenId(token: string): number | undefined {
    return this.#tokenizer.token_to_id(token);
  }
}

/**
 * Byte-level BPE writes one character per byte and metaspace models one per character, so a
 * token's text is never longer than its vocabulary entry. Unigram vocabularies are [piece, score] pairs.
 */
function longestToken(json: object): number {
  const { model, added_tokens: added } = json as {
    model?: { vocab?: Record<string, number> | [string, number][] };
    added_tokens?: { content?: string }[];
  };
  const vocab = model?.vocab;
  const pieces = Array.isArray(vocab) ? vocab.map(([piece]) => piece) : Object.keys(vocab ?? {});
  let longest = 1;
  for (const piece of pieces) longest = Math.max(longest, piece.length);
  for (const token of added ?? []) longest = Math.max(longest, token.content?.length ?? 0);
  return longest;
}
