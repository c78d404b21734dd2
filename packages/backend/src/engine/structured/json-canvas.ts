// A JSON Schema as a constrained canvas for one model: layout, tokens and rules in one call.
import { SchemaCanvas } from "./canvas-constraint";
import { canvasLayout } from "./canvas-layout";
import { type ConstrainedModel, canvasVocabulary } from "./constrained-model";
import { DEFAULT_LAYOUT_LIMITS, type LayoutLimits, layOutSchema } from "./schema-layout";

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
  if (frame.before) pieces.unshift({ kind: "fixed", text: frame.before });
  if (frame.after) pieces.push({ kind: "fixed", text: frame.after });
  const { texts, pad } = canvasVocabulary(model);
  return new SchemaCanvas(canvasLayout(pieces, model.tokenizer), texts, pad);
}
