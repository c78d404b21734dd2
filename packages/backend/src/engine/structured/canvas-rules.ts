// What generate() asks of a constrained canvas, whatever constrains it (a schema's layout, the JSON grammar).

/** A masked position must wait: an earlier position decides what it may be. */
export const WAIT = "wait" as const;

export interface StepRules {
  /** Per masked answer position: its allowed tokens (a vocabulary mask), or WAIT. */
  allowed: Map<number, Uint8Array | typeof WAIT>;
  /** Positions whose token is already decided: committed without asking the model. */
  forced: [position: number, token: number][];
}

export interface CanvasConstraint {
  /** The answer's length in positions. */
  readonly length: number;
  /** Tokens laid out before the first step (−1 where the model writes). */
  readonly fixed: Int32Array;
  /** The token that ends the answer or a value early; left out when the canvas is read. */
  readonly pad: number;
  /** What the committed `answer` (masked positions hold `maskId`) allows and decides now. */
  rules(answer: Int32Array, maskId: number): StepRules;
}

/** The answer's text tokens: everything but padding and masks. */
export function answerTokens(answer: ArrayLike<number>, constraint: CanvasConstraint, maskId: number): number[] {
  return Array.from(answer).filter((token) => token !== constraint.pad && token !== maskId);
}

/**
 * A value (or a whole answer) ends at its first padding, and everything after it is padding too:
 * where it ends (−1 while it has not) and the positions still to pad. `positionOf` maps an index
 * of `tokens` to its answer position.
 */
export function padAfterEnd(
  tokens: ArrayLike<number>,
  pad: number,
  positionOf: (index: number) => number = (index) => index,
): { end: number; forced: [position: number, token: number][] } {
  const end = Array.prototype.indexOf.call(tokens, pad) as number;
  const forced: [number, number][] = [];
  if (end >= 0) for (let i = end + 1; i < tokens.length; i++) if (tokens[i] !== pad) forced.push([positionOf(i), pad]);
  return { end, forced };
}

/** A vocabulary mask allowing `ids`. */
export function maskOf(ids: Iterable<number>, vocab: number): Uint8Array {
  const mask = new Uint8Array(vocab);
  for (const id of ids) mask[id] = 1;
  return mask;
}

/** The one token a mask allows, if it allows exactly one. */
export function singleToken(mask: Uint8Array): number | undefined {
  let found: number | undefined;
  for (let id = 0; id < mask.length; id++) {
    if (!mask[id]) continue;
    if (found !== undefined) return undefined;
    found = id;
  }
  return found;
}
