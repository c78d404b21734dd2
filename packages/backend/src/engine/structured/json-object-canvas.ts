// `response_format: json_object` on the canvas: any JSON object, kept well formed by the JSON grammar.
// Its shape is unknown in advance, so positions are committed left to right (one per forward pass): the
// first masked position takes only tokens that keep the text a prefix of a JSON object which the
// positions left can still close; once the object is closed, the rest is padding.
import { type CanvasConstraint, maskOf, padAfterEnd, type StepRules, WAIT } from "./canvas-rules";
import { type ConstrainedModel, canvasVocabulary } from "./constrained-model";
import { JsonRecogniser } from "./json-grammar";
import type { TokenTexts } from "./token-texts";

export class JsonObjectCanvas implements CanvasConstraint {
  readonly fixed: Int32Array;
  readonly #texts: TokenTexts;
  readonly #masks = new Map<string, Uint8Array>();
  /** The recogniser after the committed prefix it was last advanced over. */
  #state = new JsonRecogniser(true);
  #prefix = 0;

  constructor(
    readonly length: number,
    texts: TokenTexts,
    readonly pad: number,
  ) {
    this.fixed = new Int32Array(length).fill(-1);
    this.#texts = texts;
  }

  rules(answer: Int32Array, maskId: number): StepRules {
    const { end, forced } = padAfterEnd(answer, this.pad);
    const rules: StepRules = { allowed: new Map(), forced };
    if (end >= 0) return rules; // the object closed: the rest is padding
    const first = answer.indexOf(maskId);
    if (first < 0) return rules;
    const state = this.#advance(answer, first);
    if (state.complete) {
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
      this.#state = new JsonRecogniser(true);
      this.#prefix = 0;
    }
    for (; this.#prefix < end; this.#prefix++) this.#state.feed(this.#texts.text[answer[this.#prefix] as number] ?? "");
    return this.#state;
  }

  /** Tokens that keep the text a JSON prefix closable within `remaining` more positions. */
  #next(state: JsonRecogniser, remaining: number): Uint8Array {
    const key = `${state.stack}|${state.mode}|${state.key}|${state.emptyArray}|${state.part}|${state.rest}|${state.hex}|${Math.min(remaining, 256)}`;
    let mask = this.#masks.get(key);
    if (!mask) {
      const ids: number[] = [];
      for (const id of this.#texts.writing) {
        const next = state.copy();
        // Each character still needed may take a position of its own.
        if (next.feed(this.#texts.text[id] as string) && next.charsToComplete <= remaining) ids.push(id);
      }
      mask = maskOf(ids, this.#texts.vocab);
      this.#masks.set(key, mask);
    }
    return mask;
  }
}

/** A json_object canvas of `length` positions for a model. */
export function jsonObjectCanvas(length: number, model: ConstrainedModel): JsonObjectCanvas {
  const { texts, pad } = canvasVocabulary(model);
  return new JsonObjectCanvas(length, texts, pad);
}
