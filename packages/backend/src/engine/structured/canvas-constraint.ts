// The rules a schema's laid-out canvas imposes at every step: which tokens each masked position may take (or
// that it must wait for an earlier one), and what follows by itself from what is committed (a slot's
// padding after its end, an element left out, a position with one possible token). Answers read from a
// canvas that kept these rules are well-formed JSON of the schema's shape.
import type { CanvasLayout, Gate, Slot } from "./canvas-layout";
import { type CanvasConstraint, maskOf, padAfterEnd, type StepRules, singleToken, WAIT } from "./canvas-rules";
import { completeNumber, feasibleNumber } from "./number-rules";
import type { TokenTexts } from "./token-texts";

export class SchemaCanvas implements CanvasConstraint {
  readonly length: number;
  readonly #layout: CanvasLayout;
  readonly #texts: TokenTexts;
  /** The token that ends a value early (removed when the canvas is read). */
  readonly pad: number;
  readonly #stringOrPad: Uint8Array;
  readonly #stringOnly: Uint8Array;
  readonly #masks = new Map<string, Uint8Array>();

  constructor(layout: CanvasLayout, texts: TokenTexts, pad: number) {
    this.#layout = layout;
    this.#texts = texts;
    this.pad = pad;
    this.length = layout.fixed.length;
    this.#stringOnly = Uint8Array.from(texts.stringSafe);
    this.#stringOnly[pad] = 0;
    this.#stringOrPad = Uint8Array.from(this.#stringOnly);
    this.#stringOrPad[pad] = 1;
  }

  /** The fixed tokens, laid out before the first step (−1 where the model writes). */
  get fixed(): Int32Array {
    return this.#layout.fixed;
  }

  /** What the committed `answer` (masked positions hold `maskId`) allows and decides now. */
  rules(answer: Int32Array, maskId: number): StepRules {
    const rules: StepRules = { allowed: new Map(), forced: [] };
    const absent = new Set<number>();
    for (const gate of this.#layout.gates) {
      if (answer[gate.position] !== this.pad) continue;
      // Left out: the whole element is padding, its fixed tokens included.
      for (let p = gate.position; p < gate.end; p++) {
        absent.add(p);
        if (answer[p] !== this.pad) rules.forced.push([p, this.pad]);
      }
    }
    for (const gate of this.#layout.gates) {
      if (absent.has(gate.position) || answer[gate.position] !== maskId) continue;
      rules.allowed.set(gate.position, this.#isPresent(gate, answer) ? this.#maskOf([gate.token, this.pad]) : WAIT);
    }
    for (const slot of this.#layout.slots) {
      if (slot.positions.every((p) => absent.has(p))) continue;
      this.#slotRules(slot, answer, maskId, rules);
    }
    // A position with one possible token needs no forward pass.
    for (const [position, mask] of rules.allowed) {
      if (mask === WAIT) continue;
      const only = singleToken(mask);
      if (only !== undefined) {
        rules.forced.push([position, only]);
        rules.allowed.delete(position);
      }
    }
    return rules;
  }

  #isPresent(gate: Gate, answer: Int32Array): boolean {
    return gate.holder === undefined || answer[gate.holder.position] === gate.holder.token;
  }

  #slotRules(slot: Slot, answer: Int32Array, maskId: number, rules: StepRules): void {
    const tokens = slot.positions.map((p) => answer[p] as number);
    const ended = padAfterEnd(tokens, this.pad, (i) => slot.positions[i] as number);
    rules.forced.push(...ended.forced);
    const limit = ended.end >= 0 ? ended.end : tokens.length;
    if (slot.kind === "string" && slot.minChars === 0 && slot.maxChars === undefined) {
      // Free text, any order: padding may only go after the last character written.
      let lastText = -1;
      tokens.forEach((t, i) => {
        if (t !== maskId && t !== this.pad) lastText = i;
      });
      for (let i = 0; i < limit; i++) {
        if (tokens[i] !== maskId) continue;
        rules.allowed.set(slot.positions[i] as number, i > lastText ? this.#stringOrPad : this.#stringOnly);
      }
      return;
    }
    // Left to right: the first masked position decides, the ones after it wait.
    const first = tokens.indexOf(maskId);
    if (first < 0 || first > limit) return;
    slot.positions.forEach((p, i) => {
      if (i > first && tokens[i] === maskId) rules.allowed.set(p, WAIT);
    });
    const written = tokens.slice(0, first);
    const remaining = tokens.length - first - 1;
    rules.allowed.set(slot.positions[first] as number, this.#nextTokens(slot, written, remaining));
  }

  /** The mask of tokens that may follow `written` in `slot`, with `remaining` positions after this one. */
  #nextTokens(slot: Slot, written: number[], remaining: number): Uint8Array {
    const text = written.map((t) => this.#texts.text[t] ?? "").join("");
    if (slot.kind === "string") {
      const room = slot.maxChars === undefined ? Number.POSITIVE_INFINITY : slot.maxChars - text.length;
      const key = `s:${Math.min(room, this.#texts.longestString)}:${text.length >= slot.minChars}`;
      return this.#cached(key, () => {
        const ids: number[] = [];
        this.#texts.stringSafe.forEach((safe, id) => {
          if (safe && id !== this.pad && (this.#texts.text[id] as string).length <= room) ids.push(id);
        });
        if (text.length >= slot.minChars) ids.push(this.pad);
        return ids;
      });
    }
    if (slot.kind === "number") {
      const { range } = slot;
      return this.#cached(`n:${JSON.stringify(range)}:${text}:${remaining}`, () => {
        const ids = this.#texts.numeric.filter((id) => feasibleNumber(text + this.#texts.text[id], remaining, range));
        if (written.length > 0 && completeNumber(text, range)) ids.push(this.pad);
        return ids;
      });
    }
    const next = new Set<number>();
    for (const option of slot.options) {
      if (!written.every((t, i) => option[i] === t)) continue;
      next.add(option.length === written.length ? this.pad : (option[written.length] as number));
    }
    return this.#maskOf([...next]);
  }

  #cached(key: string, ids: () => number[]): Uint8Array {
    let mask = this.#masks.get(key);
    if (!mask) {
      mask = this.#maskOf(ids());
      this.#masks.set(key, mask);
    }
    return mask;
  }

  #maskOf(ids: number[]): Uint8Array {
    return maskOf(ids, this.#texts.vocab);
  }
}
