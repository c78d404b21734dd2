// What a constrained canvas needs of a model: its tokenizer and special ids, and from them the one
// choice of padding (the end-of-text token, what models write after an answer) and the token texts.
import { type TokenCodec, type TokenTexts, tokenTexts } from "./token-texts";

export interface ConstrainedModel {
  tokenizer: TokenCodec;
  architecture: { shape: { vocab: number }; maskId: number; stopIds: number[] };
}

/** The padding token and the token texts; special tokens write nothing, so no value ever holds one. */
export function canvasVocabulary(model: ConstrainedModel): { texts: TokenTexts; pad: number } {
  const { tokenizer, architecture } = model;
  const special = [architecture.maskId, ...architecture.stopIds];
  return {
    texts: tokenTexts(tokenizer, architecture.shape.vocab, special),
    pad: architecture.stopIds[0] ?? architecture.maskId,
  };
}
