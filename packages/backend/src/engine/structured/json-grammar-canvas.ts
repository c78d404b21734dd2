// A span of JSON on the canvas, kept well formed by the JSON grammar: `response_format: json_object`
// (any JSON object) and a FIM gap inside a JSON document (a value, an object's members, or a string's
// characters). Its shape is unknown in advance, so positions are committed left to right (one per
// forward pass): the first masked position takes only tokens that keep the text a prefix of the span
// which the positions left can still finish; once the span may end, padding is one of the choices,
// and once it must, the rest is padding.
import { type CanvasConstraint, maskOf, padAfterEnd, type StepRules, WAIT } from "./canvas-rules";
import { type ConstrainedModel, canvasVocabulary } from "./constrained-model";
import { JsonRecogniser } from "./json-grammar";
import type { TokenTexts } from "./token-texts";

/** What the span is: where its recogniser starts, and when its text may or must end. */
export interface JsonSpan {
  start(): JsonRecogniser;
  /** Whether text that reached `state` still belongs to the span (a string's characters never close it). */
  within(state: JsonRecogniser): boolean;
  /** The fewest characters that finish the span from `state`. */
  needed(state: JsonRecogniser): number;
  /** The span may end here (the next token may be padding). */
  mayEnd(state: JsonRecogniser): boolean;
  /** Nothing more can follow: the rest is padding. */
  mustEnd(state: JsonRecogniser): boolean;
}

/** One JSON value (objectOnly: an object), alone: it ends where the value does. */
export function valueSpan(objectOnly: boolean): JsonSpan {
  return {
    start: () => new JsonRecogniser(objectOnly),
    within: () => true,
    needed: (state) => state.charsToComplete,
    mayEnd: (state) => state.complete,
    mustEnd: (state) => state.mode === "done",
  };
}

/** The characters inside a JSON string (escapes complete, no closing quote): a string's middle. */
export const STRING_CONTENT_SPAN: JsonSpan = {
  start: () => {
    const state = new JsonRecogniser(false);
    state.feed('"');
    return state;
  },
  within: (state) => state.mode === "string" || state.mode === "escape" || state.mode === "unicode",
  needed: (state) => state.charsToComplete - 1, // all but the closing quote, which is not ours to write
  mayEnd: (state) => state.mode === "string",
  mustEnd: () => false,
};

/**
 * Members of an object (`"key": value`, one or more, comma-separated) between its other members: the
 * recogniser starts inside an object, and the span never closes it and may end after any whole member.
 */
export const MEMBERS_SPAN: JsonSpan = {
  start: () => {
    const state = new JsonRecogniser(false);
    state.feed('{"":0,');
    return state;
  },
  within: (state) => state.stack.length > 0,
  needed: (state) => state.charsToComplete - 1, // all but the object's closing brace
  mayEnd: (state) => {
    const closed = state.copy();
    return closed.feed("}") && closed.complete;
  },
  mustEnd: () => false,
};

export class JsonGrammarCanvas implements CanvasConstraint {
  readonly fixed: Int32Array;
  readonly #span: JsonSpan;
  readonly #texts: TokenTexts;
  readonly #masks = new Map<string, Uint8Array>();
  /** The recogniser after the committed prefix it was last advanced over. */
  #state: JsonRecogniser;
  #prefix = 0;

  constructor(
    readonly length: number,
    span: JsonSpan,
    texts: TokenTexts,
    readonly pad: number,
  ) {
    this.fixed = new Int32Array(length).fill(-1);
    this.#span = span;
    this.#texts = texts;
    this.#state = span.start();
  }

  rules(answer: Int32Array, maskId: number): StepRules {
    const { end, forced } = padAfterEnd(answer, this.pad);
    const rules: StepRules = { allowed: new Map(), forced };
    if (end >= 0) return rules; // the span ended: the rest is padding
    const first = answer.indexOf(maskId);
    if (first < 0) return rules;
    const state = this.#advance(answer, first);
    if (this.#span.mustEnd(state)) {
      rules.forced.push([first, this.pad]);
      return rules;
    }
    for (let p = first + 1; p < answer.length; p++) rules.allowed.set(p, WAIT);
    rules.allowed.set(first, this.#next(state, answer.length - first - 1));
    return rules;
  }

  /** The recogniser over answer[0, end): advanced from the last prefix when it only grew. */
  #advance(answer: Int32Array, end: number): JsonRecogniser {
    if (end < this.#prefix) {
      this.#state = this.#span.start();
      this.#prefix = 0;
    }
    for (; this.#prefix < end; this.#prefix++) this.#state.feed(this.#texts.text[answer[this.#prefix] as number] ?? "");
    return this.#state;
  }

  /** Tokens that keep the text a prefix of the span finishable within `remaining` more positions. */
  #next(state: JsonRecogniser, remaining: number): Uint8Array {
    const key = `${state.stack}|${state.mode}|${state.key}|${state.emptyArray}|${state.part}|${state.rest}|${state.hex}|${Math.min(remaining, 256)}`;
    let mask = this.#masks.get(key);
    if (!mask) {
      const ids: number[] = [];
      for (const id of this.#texts.writing) {
        const next = state.copy();
        // Each character still needed may take a position of its own.
        if (
          next.feed(this.#texts.text[id] as string) &&
          this.#span.within(next) &&
          this.#span.needed(next) <= remaining
        )
          ids.push(id);
      }
      if (this.#span.mayEnd(state)) ids.push(this.pad);
      mask = maskOf(ids, this.#texts.vocab);
      this.#masks.set(key, mask);
    }
    return mask;
  }
}

/** A json_object canvas of `length` positions for a model. */
export function jsonObjectCanvas(length: number, model: ConstrainedModel): JsonGrammarCanvas {
  const { texts, pad } = canvasVocabulary(model);
  return new JsonGrammarCanvas(length, valueSpan(true), texts, pad);
}
