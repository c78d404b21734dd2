// Fill-in-the-middle inside a JSON document: the text before and after the gap are parts of one JSON
// document, and the infill keeps it one. JSON's grammar lets any value stand where another stood, any
// members of an object where others stood, and any string characters where others stood, so three
// kinds of gap are filled by construction: a value's place (the infill is one JSON value), a member's
// place (one or more `"key": value` members) and the inside of a string (string characters). Any other
// gap (between a key and its colon, inside a number, …) is refused, naming where it is.
import type { CanvasConstraint } from "./canvas-rules";
import { type ConstrainedModel, canvasVocabulary } from "./constrained-model";
import { JsonRecogniser } from "./json-grammar";
import { JsonGrammarCanvas, type JsonSpan, MEMBERS_SPAN, STRING_CONTENT_SPAN, valueSpan } from "./json-grammar-canvas";

export type JsonGap = "value" | "members" | "string";

/** Thrown when the prompt and suffix are not a JSON document with a gap this server can fill. */
export class JsonGapError extends Error {}

/** JSON allows only whitespace after the document; the recogniser stops at its end. */
const TRAILING_WHITESPACE = /[ \t\n\r]+$/;

/**
 * Which gap `prefix` and `suffix` leave in a JSON document: a value's place when a value there makes
 * the whole document JSON and the suffix goes on with what may follow any value (",", "]", "}" or the
 * end), so the value's own last character can never run on into it; a member's place likewise, where
 * a key goes (after "{" or an object's ",") and the suffix goes on with "," or "}"; the inside of a
 * string when the prefix ends within one and the suffix finishes it.
 */
export function jsonGap(prefix: string, suffix: string): JsonGap {
  const before = new JsonRecogniser(false);
  if (!before.feed(prefix)) throw new JsonGapError("the prompt is not the start of a JSON document");
  const after = suffix.replace(TRAILING_WHITESPACE, "");
  const closes = (state: JsonRecogniser) => state.feed(after) && state.complete;
  if (before.mode === "value" && /^[ \t\n\r]*([,\]}]|$)/.test(after)) {
    const withValue = before.copy();
    if (withValue.feed("null") && closes(withValue)) return "value";
  }
  if ((before.mode === "key" || before.mode === "first-key") && /^[ \t\n\r]*[,}]/.test(after)) {
    const withMember = before.copy();
    if (withMember.feed('"":null') && closes(withMember)) return "members";
  }
  if (before.mode === "string" && closes(before.copy())) return "string";
  throw new JsonGapError(
    `the gap must be where a value goes (after ":", "[" or "," in an array, before ",", "]" or "}"), where a member goes (after "{" or "," in an object, before "," or "}") or inside a string, with the suffix completing the document; here the prompt ends ${WHERE[before.mode] ?? "elsewhere"}${FILLABLE.has(before.mode) ? " but the suffix does not complete the document from there" : ""}`,
  );
}

const FILLABLE = new Set<JsonRecogniser["mode"]>(["value", "key", "first-key", "string"]);

const WHERE: Partial<Record<JsonRecogniser["mode"], string>> = {
  value: "where a value goes",
  "first-key": "where a key goes",
  key: "where a key goes",
  colon: "before a colon",
  "after-value": "after a value",
  string: "inside a string",
  escape: "inside an escape sequence",
  unicode: "inside a \\u escape",
  number: "inside a number",
  literal: "inside true, false or null",
  done: "after the document's end",
};

function spanOf(gap: JsonGap): JsonSpan {
  return gap === "value" ? valueSpan(false) : gap === "members" ? MEMBERS_SPAN : STRING_CONTENT_SPAN;
}

/** The fewest positions an infill of `gap` takes (a token writes at least one character; `"":0` for members). */
export function fewestInfillTokens(gap: JsonGap): number {
  const span = spanOf(gap);
  return Math.max(1, span.needed(span.start()));
}

/** The canvas of a JSON gap's infill, `length` (at least fewestInfillTokens) positions, for a model. */
export function jsonInfillCanvas(gap: JsonGap, length: number, model: ConstrainedModel): CanvasConstraint {
  const fewest = fewestInfillTokens(gap);
  if (length < fewest) throw new RangeError(`a ${gap} infill needs ${fewest} positions`);
  const { texts, pad } = canvasVocabulary(model);
  return new JsonGrammarCanvas(length, spanOf(gap), texts, pad);
}

/** The last line of defence: prefix + infill + suffix must parse (undefined), else what is wrong. */
export function jsonInfillCheck(prefix: string, suffix: string): (infill: string) => string | undefined {
  return (infill) => {
    try {
      JSON.parse(prefix + infill + suffix);
      return undefined;
    } catch (error) {
      return `the document with the infill is not JSON: ${(error as Error).message}`;
    }
  };
}
