// Training examples: what may be masked, how positions are weighted, and which pairs SFT extracts.
import { describe, expect, it } from "vitest";
import { flatten } from "../src/train/dataset";
import {
  docCommentPairs,
  fimExample,
  maskSpan,
  pretrainingExample,
  SeededRandom,
  sftExample,
} from "../src/train/examples";

const ids = { mask: 99, eos: 98 };
const clean = Int32Array.from({ length: 40 }, (_, i) => i);

describe("masking", () => {
  it("masks at rate p = (1 − ε)t + ε and weights masked positions by 1/p", () => {
    const example = maskSpan(clean, 0, 40, ids, new SeededRandom(1), 0.5);
    const masked = [...example.inputs.keys()].filter((i) => example.inputs[i] === ids.mask);
    expect(masked.length).toBeGreaterThan(8);
    expect(masked.length).toBeLessThan(32);
    const p = (1 - 1e-3) * 0.5 + 1e-3;
    for (const i of masked) expect(example.weights[i]).toBeCloseTo(1 / p, 5);
    expect([...example.weights].filter((w) => w !== 0)).toHaveLength(masked.length);
    expect(Array.from(example.targets)).toEqual(Array.from(clean));
  });

  it("always masks at least one position, even at t = 0", () => {
    const example = maskSpan(clean, 10, 20, ids, new SeededRandom(2), 0);
    const masked = [...example.inputs.keys()].filter((i) => example.inputs[i] === ids.mask);
    expect(masked.length).toBeGreaterThanOrEqual(1);
    expect(masked.every((i) => i >= 10 && i < 20)).toBe(true);
  });

  it("pre-training weights are per token of the window", () => {
    const example = pretrainingExample(clean, ids, new SeededRandom(3));
    const masked = [...example.weights].filter((w) => w !== 0);
    const p = 1 / ((masked[0] as number) * 40);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThanOrEqual(1);
  });
});

describe("SFT and FIM examples", () => {
  it("SFT never masks the prompt and trains the EOS padding of the answer", () => {
    for (let seed = 0; seed < 20; seed++) {
      const example = sftExample([1, 2, 3, 4], [5, 6], 12, ids, new SeededRandom(seed)) as NonNullable<
        ReturnType<typeof sftExample>
      >;
      expect(Array.from(example.inputs.subarray(0, 4))).toEqual([1, 2, 3, 4]);
      expect(Array.from(example.targets)).toEqual([1, 2, 3, 4, 5, 6, 98, 98, 98, 98, 98, 98]);
      expect(Array.from(example.weights.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    }
    expect(sftExample([1, 2, 3], [4, 5, 6], 6, ids, new SeededRandom(1))).toBeUndefined(); // no room for EOS
  });

  it("FIM keeps prefix and suffix and masks only the middle with its EOS padding", () => {
    for (let seed = 0; seed < 20; seed++) {
      const example = fimExample([1, 2, 3], [4, 5], [6, 7], 3, ids, new SeededRandom(seed));
      expect(Array.from(example.targets)).toEqual([1, 2, 3, 4, 5, 98, 98, 98, 6, 7]);
      expect(Array.from(example.inputs.subarray(0, 3))).toEqual([1, 2, 3]);
      expect(Array.from(example.inputs.subarray(8))).toEqual([6, 7]);
      const weighted = [...example.weights.keys()].filter((i) => example.weights[i] !== 0);
      expect(weighted.every((i) => i >= 3 && i < 8)).toBe(true);
    }
  });

  it("a batch averages its sequences' losses", () => {
    const a = pretrainingExample(clean, ids, new SeededRandom(4));
    const batch = flatten([a, a], 40, 0.5);
    expect(batch.weights[41]).toBeCloseTo((a.weights[1] as number) / 2, 6);
    expect(batch.inputs).toHaveLength(80);
  });
});

describe("docCommentPairs", () => {
  it("pairs a doc comment with the function after it", () => {
    const source = `/**\n * Adds two numbers and returns the sum.\n * @param a first\n */\nexport function add(a: number, b: number) {\n  return a + b;\n}\n\n/** x */\nfunction tiny() {\n}\n`;
    expect(docCommentPairs(source)).toEqual([
      {
        request: "Adds two numbers and returns the sum.",
        code: "export function add(a: number, b: number) {\n  return a + b;\n}",
      },
    ]);
  });
});

describe("lossCurveSvg", () => {
  it("draws the smoothed loss and the held-out accuracy", async () => {
    const { lossCurveSvg } = await import("../src/train/loss-plot");
    const history = Array.from({ length: 50 }, (_, i) => ({
      step: i + 1,
      loss: 8 - i / 10,
      lr: 1e-3,
      ...(i % 10 === 9 ? { heldOutAccuracy: i / 100 } : {}),
    }));
    const svg = lossCurveSvg(history, "a <test> run");
    expect(svg).toMatch(/^<svg xmlns/);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain("a &lt;test> run");
    expect(svg).toContain(">step</text>");
    expect(lossCurveSvg(history, "two stages", "million tokens seen")).toContain(">million tokens seen</text>");
  });
});
