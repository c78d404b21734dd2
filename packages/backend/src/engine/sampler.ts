// Sampler policies: from per-position statistics, decide which masked positions of the current block
// to commit at this step, and with which tokens. Pure functions, tested on hand-made statistics.
import type { SeededRandom } from "./random";
import { dreamTransferFraction } from "./schedule";

export type SamplerName =
  | "low_confidence" // LLaDA: top-k by probability, linear quota
  | "random" // LLaDA: random positions, linear quota
  | "origin" // Dream: each masked position unmasks independently with the step's probability
  | "maskgit_plus" // Dream: top-k by probability, timestep quota
  | "topk_margin" // Dream: top-k by top-1 minus top-2 probability
  | "entropy" // Dream: top-k by negative entropy
  | "threshold" // Fast-dLLM: every position above a probability threshold (at least one)
  | "factor" // Fast-dLLM: the largest n whose n-th probability ≥ 1 − factor / (n + 1)
  | "threshold_quota"; // SDAR: every position above the threshold if they fill the step's quota, else the top quota

export const SAMPLERS: readonly SamplerName[] = [
  "low_confidence",
  "random",
  "origin",
  "maskgit_plus",
  "topk_margin",
  "entropy",
  "threshold",
  "factor",
  "threshold_quota",
];

/** What the addon reported for each still-masked position of the block. */
export interface Candidate {
  position: number;
  /** The proposed token: the seeded draw (argmax at temperature 0). */
  token: number;
  /** Softmax probability of that token. */
  probability: number;
  margin: number;
  entropy: number;
}

export interface StepContext {
  sampler: SamplerName;
  /** Tokens the fixed-quota samplers (low_confidence, random) commit this step; threshold_quota's minimum. */
  quota: number;
  /** Step index within the block and the block's step budget (Dream's timestep samplers). */
  step: number;
  steps: number;
  threshold: number;
  factor: number;
  /** Dream's `alg_temp`: above 0, the timestep samplers draw positions from softmax(score / it). */
  positionTemperature: number;
  random: SeededRandom;
}

/** The candidates to commit, in the order the policy ranked them. */
export function selectCommits(candidates: Candidate[], ctx: StepContext): Candidate[] {
  if (candidates.length === 0) return [];
  switch (ctx.sampler) {
    case "low_confidence":
      return topBy(candidates, (c) => c.probability, ctx.quota);
    case "random":
      return topBy(candidates, () => ctx.random.next(), ctx.quota);
    case "origin": {
      const p = dreamTransferFraction(ctx.step, ctx.steps);
      return candidates.filter(() => ctx.random.next() < p);
    }
    case "maskgit_plus":
    case "topk_margin":
    case "entropy": {
      const n = dreamCount(candidates.length, ctx.step, ctx.steps);
      const score = {
        maskgit_plus: (c: Candidate) => c.probability,
        topk_margin: (c: Candidate) => c.margin,
        entropy: (c: Candidate) => -c.entropy,
      }[ctx.sampler];
      return ctx.positionTemperature > 0
        ? drawBy(candidates, score, n, ctx.positionTemperature, ctx.random)
        : topBy(candidates, score, n);
    }
    case "threshold": {
      const ranked = topBy(candidates, (c) => c.probability, candidates.length);
      const above = ranked.filter((c) => c.probability >= ctx.threshold);
      return above.length > 0 ? above : ranked.slice(0, 1);
    }
    case "threshold_quota": {
      // SDAR's low_confidence_dynamic (generate.py): strictly above the threshold, at least the quota.
      const ranked = topBy(candidates, (c) => c.probability, candidates.length);
      const above = ranked.filter((c) => c.probability > ctx.threshold);
      return above.length >= ctx.quota ? above : ranked.slice(0, ctx.quota);
    }
    case "factor": {
      const ranked = topBy(candidates, (c) => c.probability, candidates.length);
      let n = 1;
      while (n < ranked.length && (ranked[n] as Candidate).probability >= 1 - ctx.factor / (n + 2)) n++;
      return ranked.slice(0, n);
    }
  }
}

/** Whether a sampler's work per block is fixed by a step budget (the others run until the block is done). */
export function usesStepBudget(sampler: SamplerName): boolean {
  return sampler !== "threshold" && sampler !== "factor";
}

/** Dream: floor(masked · (1 − t[i+1]/t[i])) tokens, all that remain on the last step. */
function dreamCount(masked: number, step: number, steps: number): number {
  return step >= steps - 1 ? masked : Math.floor(masked * dreamTransferFraction(step, steps));
}

/** The `count` best candidates by `score`; ties go to the earlier position. */
function topBy(candidates: Candidate[], score: (c: Candidate) => number, count: number): Candidate[] {
  return candidates
    .map((candidate) => ({ candidate, score: score(candidate) }))
    .sort((a, b) => b.score - a.score || a.candidate.position - b.candidate.position)
    .slice(0, Math.max(0, count))
    .map(({ candidate }) => candidate);
}

/** `count` candidates drawn without replacement with probability ∝ exp(score / temperature). */
function drawBy(
  candidates: Candidate[],
  score: (c: Candidate) => number,
  count: number,
  temperature: number,
  random: SeededRandom,
): Candidate[] {
  const pool = candidates.map((candidate) => ({ candidate, score: score(candidate) / temperature }));
  const chosen: Candidate[] = [];
  while (chosen.length < count && pool.length > 0) {
    const max = Math.max(...pool.map((entry) => entry.score));
    const weights = pool.map((entry) => Math.exp(entry.score - max));
    let pick = random.next() * weights.reduce((a, b) => a + b, 0);
    let index = 0;
    while (index < pool.length - 1 && pick >= (weights[index] as number)) pick -= weights[index++] as number;
    chosen.push((pool.splice(index, 1)[0] as { candidate: Candidate }).candidate);
  }
  return chosen;
}
