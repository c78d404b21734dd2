// Free text on a constrained canvas (an answer that chose not to call a tool): any token that writes
// text, in any order, and padding — the end-of-text token — only after the last text written, so the
// answer reads as one piece.
import { type CanvasConstraint, maskOf, padAfterEnd, type StepRules } from "./canvas-rules";
import type { TokenTexts } from "./token-texts";

export class FreeTextCanvas implements CanvasConstraint {
  readonly fixed: Int32Array;
  readonly #textOnly: Uint8Array;
  readonly #textOrPad: Uint8Array;

  constructor(
    readonly length: number,
    texts: TokenTexts,
    readonly pad: number,
  ) {
    this.fixed = new Int32Array(length).fill(-1);
    this.#textOnly = maskOf(texts.writing, texts.vocab);
    this.#textOrPad = maskOf([...texts.writing, pad], texts.vocab);
  }

  rules(answer: Int32Array, maskId: number): StepRules {
    const { end, forced } = padAfterEnd(answer, this.pad);
    const rules: StepRules = { allowed: new Map(), forced };
    let lastText = -1;
    answer.forEach((token, i) => {
      if (token !== maskId && token !== this.pad) lastText = i;
    });
    const limit = end >= 0 ? end : answer.length;
    for (let i = 0; i < limit; i++) {
      if (answer[i] === maskId) rules.allowed.set(i, i > lastText ? this.#textOrPad : this.#textOnly);
    }
    return rules;
  }
}
