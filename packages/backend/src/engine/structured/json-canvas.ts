// A JSON Schema as a constrained canvas for one model: layout, tokens and rules in one call.
import { SchemaCanvas } from "./canvas-constraint";
import { canvasLayout } from "./canvas-layout";
import { DEFAULT_LAYOUT_LIMITS, type LayoutLimits, layOutSchema } from "./schema-layout";
import { type TokenCodec, tokenTexts } from "./token-texts";

export interface ConstrainedModel {
  tokenizer: TokenCodec;
  architecture: { shape: { vocab: number }; maskId: number; stopIds: number[] };
}

/**
 * The canvas an answer of `schema` is decoded on. Its padding is the model's end-of-text token (what
 * models write after an answer); no other special token is ever proposed inside a value.
 * Throws UnsupportedSchemaError naming the first keyword it cannot constrain.
 */
export function jsonCanvas(
  schema: unknown,
  model: ConstrainedModel,
  frame: { before?: string; after?: string } = {},
  limits: LayoutLimits = DEFAULT_LAYOUT_LIMITS,
): SchemaCanvas {
  // First: an unsupported schema is refused before any work. `frame` is fixed text around the value.
  const pieces = layOutSchema(schema, limits);
  const { tokenizer, architecture } = model;
  if (frame.before) pieces.unshift({ kind: "fixed", text: frame.before });
  if (frame.after) pieces.push({ kind: "fixed", text: frame.after });
  const pad = architecture.stopIds[0] ?? architecture.maskId;
  const texts = tokenTexts(tokenizer, architecture.shape.vocab, [architecture.maskId, ...architecture.stopIds]);
  return new SchemaCanvas(canvasLayout(pieces, tokenizer), texts, pad);
}
