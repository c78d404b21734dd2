// What every decoding loop does around a forward pass: lay out and settle a constrained canvas, give
// stats rows their allowed-token masks, read the pass's statistics back as commit candidates, commit a
// step's choice, and read the answer off the canvas at the end.
import type { NativeSequence, NativeStats } from "../native";
import type { Canvas } from "./canvas";
import type { GenerateResult, StepEvent } from "./generate";
import type { SeededRandom } from "./random";
import { type Candidate, type SamplerName, selectCommits } from "./sampler";
import { answerTokens, type CanvasConstraint, WAIT } from "./structured/canvas-rules";

/** Commits the layout's fixed tokens, and whatever they decide by themselves. */
export function layOut(canvas: Canvas, constraint: CanvasConstraint): void {
  constraint.fixed.forEach((token, i) => {
    if (token >= 0) canvas.commit(canvas.answerStart + i, token);
  });
  settle(canvas, constraint);
}

/** Commits what the rules decide without the model, until nothing more follows. */
export function settle(canvas: Canvas, constraint: CanvasConstraint): void {
  for (;;) {
    const { forced } = constraint.rules(canvas.tokens.subarray(canvas.answerStart, canvas.answerEnd), canvas.maskId);
    if (forced.length === 0) return;
    for (const [position, token] of forced) canvas.commit(canvas.answerStart + position, token);
  }
}

/**
 * Gives each stats row of a masked answer position its allowed-token mask (the addon takes statistics
 * over those tokens only); returns the rules by answer position, so that waiting positions are not committed.
 */
export function constrain(sequence: NativeSequence, canvas: Canvas, constraint: CanvasConstraint, shift: number) {
  const { allowed } = constraint.rules(canvas.tokens.subarray(canvas.answerStart, canvas.answerEnd), canvas.maskId);
  // With shifted logits and no prompt, nothing precedes answer position 0, and it reads row 0 as
  // position 1 does (readCandidates, as Dream's own code does): while position 0 has a rule, the row
  // is drawn under position 0's and position 1 waits, so neither is committed under the other's rule.
  const firstShares = shift > 0 && canvas.answerStart === 0 && isMask(allowed.get(0));
  if (firstShares && isMask(allowed.get(shift))) allowed.set(shift, WAIT);
  const masks: Uint8Array[] = [];
  const indexOf = new Map<Uint8Array, number>();
  const statMasks = Array.from(sequence.statRows, (row) => {
    const mask = allowed.get(firstShares && row === 0 ? 0 : row + shift - canvas.answerStart);
    if (mask === undefined || mask === WAIT) return -1;
    let index = indexOf.get(mask);
    if (index === undefined) {
      index = masks.length;
      masks.push(mask);
      indexOf.set(mask, index);
    }
    return index;
  });
  if (masks.length > 0) {
    const vocab = (masks[0] as Uint8Array).length;
    const joined = new Uint8Array(masks.length * vocab);
    masks.forEach((mask, i) => {
      joined.set(mask, i * vocab);
    });
    sequence.statMasks = Int32Array.from(statMasks);
    sequence.allowed = joined;
  }
  return allowed;
}

function isMask(rule: Uint8Array | typeof WAIT | undefined): rule is Uint8Array {
  return rule !== undefined && rule !== WAIT;
}

/** Pairs each viewed position with its statistics row (p − shift); records estimates for the draft. */
export function readCandidates(
  canvas: Canvas,
  viewed: number[],
  statRows: Int32Array,
  stats: NativeStats,
  shift: number,
  sampled: boolean,
  rowOf: (position: number) => number = (position) => Math.max(0, position - shift),
): Candidate[] {
  const indexOfRow = new Map<number, number>();
  statRows.forEach((row, i) => {
    indexOfRow.set(row, i);
  });
  const candidates: Candidate[] = [];
  for (const position of viewed) {
    const i = indexOfRow.get(rowOf(position));
    if (i === undefined) continue; // not computed in this pass (outside a dual-cache block)
    canvas.estimate(position, stats.argmax[i] as number, stats.confidence[i] as number);
    candidates.push({
      position,
      token: (sampled ? stats.sample[i] : stats.argmax[i]) as number,
      probability: (sampled ? stats.sampleProb[i] : stats.confidence[i]) as number,
      margin: stats.margin[i] as number,
      entropy: stats.entropy[i] as number,
    });
  }
  return candidates;
}

/** Why a generation stopped early, as the signal says. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The generation was aborted.", "AbortError");
}

/** What a commit step reads of generate's settings (withDefaults). */
export interface CommitSettings {
  sampler: SamplerName;
  threshold: number;
  factor: number;
  positionTemperature: number;
  deferTokens: ReadonlySet<number>;
  constraint?: CanvasConstraint | undefined;
  drafts: boolean;
}

/**
 * One denoising step's commits: candidates a layout's rules make wait are left out, deferred tokens
 * ranked last (their probability −1: unknown), the sampler's choice committed, then whatever a
 * constrained layout decides by itself. Returns what was committed and the step's event.
 */
export function commitStep(
  canvas: Canvas,
  candidates: Candidate[],
  rules: ReadonlyMap<number, unknown> | undefined,
  o: CommitSettings,
  schedule: { quota: number; step: number; steps: number; random: SeededRandom },
  at: { forwardPasses: number; block: number },
): { chosen: Candidate[]; event: StepEvent } {
  const eligible = candidates
    .filter((c) => rules?.get(c.position - canvas.answerStart) !== WAIT)
    .map((c) =>
      o.deferTokens.has(c.token) ? { ...c, probability: -1, margin: -1, entropy: Number.POSITIVE_INFINITY } : c,
    );
  const chosen = selectCommits(eligible, {
    sampler: o.sampler,
    ...schedule,
    threshold: o.threshold,
    factor: o.factor,
    positionTemperature: o.positionTemperature,
  });
  for (const c of chosen) canvas.commit(c.position, c.token, c.probability >= 0 ? c.probability : Number.NaN);
  if (o.constraint) settle(canvas, o.constraint);
  const event: StepEvent = {
    type: "step",
    step: at.forwardPasses,
    block: at.block,
    draft: canvas.draft(),
    masked: canvas.answerMask(),
    ...(o.drafts ? { confidence: canvas.draftConfidence() } : {}),
    committed: chosen.map((c) => c.position - canvas.answerStart).sort((a, b) => a - b),
  };
  return { chosen, event };
}

/**
 * The answer in [answerStart, answerEnd): cut before its first stop token (a laid-out answer ends as
 * its schema does, its padding left out), with its cost.
 */
export function answerResult(
  canvas: Canvas,
  answerEnd: number,
  stopIds: ReadonlySet<number>,
  constraint: CanvasConstraint | undefined,
  cost: { forwardPasses: number; started: number; forwardMs: number; firstCommitMs: number },
): GenerateResult {
  const stop = constraint ? -1 : canvas.firstStop(stopIds, answerEnd);
  const answer = canvas.tokens.subarray(canvas.answerStart, stop >= 0 ? stop : answerEnd);
  const tokens = constraint
    ? answerTokens(answer, constraint, canvas.maskId)
    : Array.from(answer).filter((t) => t !== canvas.maskId);
  return {
    tokens,
    // A laid-out answer is complete when its canvas is: it stops as its schema does.
    finishReason: stop >= 0 || constraint ? "stop" : "length",
    forwardPasses: cost.forwardPasses,
    // The answer's tokens per pass: positions committed after a stop token are not answer.
    tokensPerForward: cost.forwardPasses > 0 ? tokens.length / cost.forwardPasses : 0,
    timings: {
      totalMs: performance.now() - cost.started,
      forwardMs: cost.forwardMs,
      firstCommitMs: Math.max(0, cost.firstCommitMs),
    },
  };
}
