// Free text on a constrained canvas (an answer that chose not to call a tool): any token that writes
// text, in any order, and padding — the end-of-text token — only after the last text written, so the
// answer reads as one piece.
import { type CanvasConstraint, maskOf, type StepRules } from "./canvas-rules";
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
    const ids = texts.text.flatMap((text, id) => (text && id !== pad ? [id] : []));
    this.#textOnly = maskOf(ids, texts.vocab);
    this.#textOrPad = maskOf([...ids, pad], texts.vocab);
  }

  rules(answer: Int32Array, maskId: number): StepRules {
    const rules: StepRules = { allowed: new Map(), forced: [] };
    const padAt = answer.indexOf(this.pad);
    let lastText = -1;
    answer.forEach((token, i) => {
      if (token !== maskId && token !== this.pad) lastText = i;
    });
    answer.forEach((token, i) => {
      if (padAt >= 0 && i > padAt && token !== this.pad) rules.forced.push([i, this.pad]);
      else if (token === maskId) rules.allowed.set(i, i > lastText ? this.#textOrPad : this.#textOnly);
    });
    return rules;
  }
}
