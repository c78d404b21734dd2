// A canvas whose head decides its tail: the head (a tool's name, or the first token of an answer that
// may be a call) is decoded first; once it is complete, the tail it picked is laid out behind it — its
// fixed tokens committed at once, its slots constrained — and the positions that tail does not use
// become padding. Until then the tail's positions wait.
import { type CanvasConstraint, type StepRules, WAIT } from "./canvas-rules";

export class BranchCanvas implements CanvasConstraint {
  readonly length: number;
  readonly fixed: Int32Array;
  readonly pad: number;

  /** `pick` names the tail for a complete head (its tokens, padding included), or undefined. */
  constructor(
    readonly head: CanvasConstraint,
    readonly tails: CanvasConstraint[],
    readonly pick: (head: Int32Array) => number | undefined,
  ) {
    this.pad = head.pad;
    this.length = head.length + Math.max(...tails.map((tail) => tail.length));
    this.fixed = new Int32Array(this.length).fill(-1);
    this.fixed.set(head.fixed, 0);
  }

  rules(answer: Int32Array, maskId: number): StepRules {
    const h = this.head.length;
    const rules = this.head.rules(answer.subarray(0, h), maskId);
    const decided = !answer.subarray(0, h).includes(maskId) ? this.pick(answer.subarray(0, h)) : undefined;
    const tail = decided === undefined ? undefined : this.tails[decided];
    if (!tail) {
      for (let p = h; p < this.length; p++) if (answer[p] === maskId) rules.allowed.set(p, WAIT);
      return rules;
    }
    const view = answer.subarray(h, h + tail.length);
    tail.fixed.forEach((token, i) => {
      if (token >= 0 && view[i] !== token) rules.forced.push([h + i, token]);
    });
    const own = tail.rules(view, maskId);
    for (const [p, mask] of own.allowed) rules.allowed.set(h + p, mask);
    for (const [p, token] of own.forced) rules.forced.push([h + p, token]);
    for (let p = h + tail.length; p < this.length; p++) if (answer[p] !== this.pad) rules.forced.push([p, this.pad]);
    return rules;
  }
}
