// The token canvas of one generation: [prompt | answer (masked at first) | suffix], with the latest
// estimate for each still-masked answer position and how sure the model was of it (what a diffusing
// view shows).

export class Canvas {
  readonly tokens: Int32Array;
  /** Current best guess at each position (committed token, or the last argmax seen while masked). */
  readonly estimates: Int32Array;
  /**
   * The model's probability of each estimate when it was last seen (of a committed token: as it was
   * chosen); NaN where the model never weighed in (the prompt, tokens laid out before any pass).
   */
  readonly confidences: Float32Array;
  readonly answerStart: number;
  readonly answerEnd: number;

  constructor(
    prompt: ArrayLike<number>,
    answerLength: number,
    suffix: ArrayLike<number>,
    readonly maskId: number,
  ) {
    this.answerStart = prompt.length;
    this.answerEnd = prompt.length + answerLength;
    this.tokens = new Int32Array(this.answerEnd + suffix.length);
    this.tokens.set(Array.from(prompt), 0);
    this.tokens.fill(maskId, this.answerStart, this.answerEnd);
    this.tokens.set(Array.from(suffix), this.answerEnd);
    this.estimates = Int32Array.from(this.tokens);
    this.confidences = new Float32Array(this.tokens.length).fill(Number.NaN);
  }

  get length(): number {
    return this.tokens.length;
  }

  isMasked(position: number): boolean {
    return this.tokens[position] === this.maskId;
  }

  /** Masked positions in [begin, end). */
  maskedIn(begin: number, end: number): number[] {
    const positions: number[] = [];
    for (let p = begin; p < end; p++) if (this.tokens[p] === this.maskId) positions.push(p);
    return positions;
  }

  /** `confidence`: the model's probability of the token as it was chosen (kept as it was when not given). */
  commit(position: number, token: number, confidence?: number): void {
    this.tokens[position] = token;
    this.estimates[position] = token;
    if (confidence !== undefined) this.confidences[position] = confidence;
  }

  estimate(position: number, token: number, confidence = Number.NaN): void {
    if (!this.isMasked(position)) return;
    this.estimates[position] = token;
    this.confidences[position] = confidence;
  }

  /** The answer as the model currently sees it: committed tokens and estimates elsewhere. */
  draft(): Int32Array {
    return this.estimates.slice(this.answerStart, this.answerEnd);
  }

  /** The answer's confidences (see `confidences`). */
  draftConfidence(): Float32Array {
    return this.confidences.slice(this.answerStart, this.answerEnd);
  }

  /** The canvas with everything but the answer masked (the unconditional input of guidance). */
  withoutContext(): Int32Array {
    const tokens = new Int32Array(this.tokens.length).fill(this.maskId);
    tokens.set(this.tokens.subarray(this.answerStart, this.answerEnd), this.answerStart);
    return tokens;
  }

  answerMask(): Uint8Array {
    const masked = new Uint8Array(this.answerEnd - this.answerStart);
    for (let i = 0; i < masked.length; i++) masked[i] = this.isMasked(this.answerStart + i) ? 1 : 0;
    return masked;
  }

  /** The first stop token committed in the answer, if any. */
  firstStop(stopIds: ReadonlySet<number>, end = this.answerEnd): number {
    for (let p = this.answerStart; p < end; p++) if (stopIds.has(this.tokens[p] as number)) return p;
    return -1;
  }
}
