// Sampler policies on hand-made statistics: which positions each one commits, in which order.
import { describe, expect, it } from "vitest";
import { SeededRandom } from "../src/engine/random";
import { type Candidate, type SamplerName, type StepContext, selectCommits } from "../src/engine/sampler";
import { dreamTransferFraction, linearQuota } from "../src/engine/schedule";

/** Positions 10..14 with chosen probabilities, margins and entropies. */
const candidates: Candidate[] = [
  { position: 10, token: 1, probability: 0.5, margin: 0.4, entropy: 1.2 },
  { position: 11, token: 2, probability: 0.95, margin: 0.9, entropy: 0.3 },
  { position: 12, token: 3, probability: 0.7, margin: 0.05, entropy: 0.2 },
  { position: 13, token: 4, probability: 0.92, margin: 0.88, entropy: 0.9 },
  { position: 14, token: 5, probability: 0.3, margin: 0.2, entropy: 2.0 },
];

function context(sampler: SamplerName, overrides: Partial<StepContext> = {}): StepContext {
  return {
    sampler,
    quota: 2,
    step: 0,
    steps: 4,
    threshold: 0.9,
    factor: 1,
    positionTemperature: 0,
    random: new SeededRandom(1),
    ...overrides,
  };
}

const positions = (chosen: Candidate[]) => chosen.map((c) => c.position);

describe("selectCommits", () => {
  it("low_confidence takes the quota's most probable positions", () => {
    expect(positions(selectCommits(candidates, context("low_confidence", { quota: 3 })))).toEqual([11, 13, 12]);
  });

  it("threshold takes every position at or above the threshold", () => {
    expect(positions(selectCommits(candidates, context("threshold")))).toEqual([11, 13]);
    expect(positions(selectCommits(candidates, context("threshold", { threshold: 0.6 })))).toEqual([11, 13, 12]);
  });

  it("threshold always commits at least the best position", () => {
    expect(positions(selectCommits(candidates, context("threshold", { threshold: 0.99 })))).toEqual([11]);
  });

  it("factor takes the largest n whose n-th probability ≥ 1 − factor/(n+1)", () => {
    // ranked: .95 .92 .7 .5 .3; n=2: .92 ≥ 1 − 1/3; n=3: .7 ≥ 1 − 1/4 fails
    expect(positions(selectCommits(candidates, context("factor")))).toEqual([11, 13]);
    // factor 2: n=3: .7 ≥ 1 − 2/4 = .5 yes; n=4: .5 ≥ 1 − 2/5 = .6 no
    expect(positions(selectCommits(candidates, context("factor", { factor: 2 })))).toEqual([11, 13, 12]);
  });

  it("topk_margin ranks by the top-1 minus top-2 gap; entropy by the lowest entropy", () => {
    // step 0 of 4: floor(5 · (1 − t1/t0)) tokens; t falls linearly from 1 to 1e-3
    const n = Math.floor(5 * dreamTransferFraction(0, 4));
    expect(n).toBe(1);
    expect(positions(selectCommits(candidates, context("topk_margin")))).toEqual([11]);
    expect(positions(selectCommits(candidates, context("entropy")))).toEqual([12]);
    expect(positions(selectCommits(candidates, context("entropy", { step: 3 })))).toEqual([12, 11, 13, 10, 14]);
  });

  it("maskgit_plus commits everything on the last step", () => {
    expect(selectCommits(candidates, context("maskgit_plus", { step: 3 }))).toHaveLength(5);
  });

  it("random and origin are reproducible for a seed", () => {
    for (const sampler of ["random", "origin"] as const) {
      const a = positions(selectCommits(candidates, context(sampler, { random: new SeededRandom(9), step: 1 })));
      const b = positions(selectCommits(candidates, context(sampler, { random: new SeededRandom(9), step: 1 })));
      expect(a).toEqual(b);
    }
    expect(selectCommits(candidates, context("random", { quota: 3 }))).toHaveLength(3);
    expect(selectCommits(candidates, context("origin", { step: 3 }))).toHaveLength(5); // last step: all
  });

  it("with a position temperature, draws positions in proportion to exp(score / T)", () => {
    const counts = new Map<number, number>();
    const random = new SeededRandom(3);
    for (let i = 0; i < 3000; i++) {
      const [pick] = selectCommits(candidates, context("maskgit_plus", { positionTemperature: 0.1, random }));
      counts.set(pick?.position as number, (counts.get(pick?.position as number) ?? 0) + 1);
    }
    const weights = candidates.map((c) => Math.exp(c.probability / 0.1));
    const total = weights.reduce((a, b) => a + b, 0);
    candidates.forEach((c, i) => {
      expect(Math.abs((counts.get(c.position) ?? 0) / 3000 - (weights[i] as number) / total)).toBeLessThan(0.03);
    });
  });

  it("breaks ties by position", () => {
    const tied = [10, 11, 12].map((position) => ({ position, token: 0, probability: 0.5, margin: 0, entropy: 0 }));
    expect(positions(selectCommits(tied, context("low_confidence", { quota: 2 })))).toEqual([10, 11]);
  });
});

describe("schedules", () => {
  it("linearQuota spreads the remainder over the first steps", () => {
    expect(linearQuota(10, 4)).toEqual([3, 3, 2, 2]);
    expect(linearQuota(3, 5)).toEqual([1, 1, 1, 0, 0]);
  });

  it("Dream's transfer fraction is 1 − t[i+1]/t[i] and 1 on the last step", () => {
    expect(dreamTransferFraction(0, 2)).toBeCloseTo(1 - (1 + (1e-3 - 1) / 2) / 1, 10);
    expect(dreamTransferFraction(1, 2)).toBe(1);
  });
});
