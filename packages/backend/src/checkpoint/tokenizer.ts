// Text <-> token ids through @huggingface/tokenizers, from the checkpoint's tokenizer.json.
import { Tokenizer } from "@huggingface/tokenizers";
import { CheckpointError } from "../errors";

export class TextTokenizer {
  readonly #tokenizer: Tokenizer;

  constructor(tokenizerJson: object, tokenizerConfig: object, file: string) {
    try {
      this.#tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw new CheckpointError(file, `cannot build the tokenizer: ${(error as Error).message}`);
    }
  }

  /** Token ids of `text`; special-token strings inside it are recognised. */
  encode(text: string, { addSpecialTokens = false } = {}): number[] {
    return this.#tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: ArrayLike<number>, { skipSpecialTokens = true } = {}): string {
    if (ids.length === 0) return ""; // the library rejects an empty list
    return this.#tokenizer.decode(Array.from(ids), { skip_special_tokens: skipSpecialTokens });
  }

  tokenId(token: string): number | undefined {
    return this.#tokenizer.token_to_id(token);
  }
}
