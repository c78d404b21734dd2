// Training examples and their noise: LLaDA pre-training windows (any token may be masked), SFT pairs
// (the prompt is never masked; the answer is padded with EOS, which is trained) and FIM infills
// (prefix and suffix kept, the middle masked and padded with EOS so the model learns to end it).
import { SeededRandom } from "../engine/random";

export interface SpecialIds {
  mask: number;
  eos: number;
}

/**
 * One sequence, ready for the trainer: the noised input, the clean targets, and a loss weight per
 * position, normalised so that Σ weight · CE is this sequence's loss (a batch averages them).
 */
export interface Example {
  inputs: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
}

/** LLaDA's masking floor: p_mask = (1 − ε) t + ε keeps every example informative. */
const EPSILON = 1e-3;

/**
 * Masks each position in [begin, end) of `clean` with probability p = (1 − ε) t + ε, t ~ U(0, 1)
 * (or the given t); masked positions get weight 1 / p, so the loss is LLaDA's unbiased estimate.
 */
export function maskSpan(
  clean: Int32Array,
  begin: number,
  end: number,
  ids: SpecialIds,
  random: SeededRandom,
  t = random.next(),
): Example {
  const p = (1 - EPSILON) * t + EPSILON;
  const inputs = Int32Array.from(clean);
  const weights = new Float32Array(clean.length);
  let masked = 0;
  for (let i = begin; i < end; i++) {
    if (random.next() < p) {
      inputs[i] = ids.mask;
      weights[i] = 1 / p;
      masked++;
    }
  }
  if (masked === 0 && end > begin) {
    // always train on at least one position
    const i = begin + Math.floor(random.next() * (end - begin));
    inputs[i] = ids.mask;
    weights[i] = 1 / p;
  }
  return { inputs, targets: Int32Array.from(clean), weights };
}

/** Pre-training: a window of the token stream, every position eligible; loss per token of the window. */
export function pretrainingExample(window: Int32Array, ids: SpecialIds, random: SeededRandom, t?: number): Example {
  return scaled(maskSpan(window, 0, window.length, ids, random, t), 1 / window.length);
}

/**
 * SFT: `prompt` then `answer`, EOS-padded to `length`; only the answer (padding included) is masked,
 * and the loss is per token of the answer region, as LLaDA's SFT loss is.
 */
export function sftExample(
  prompt: number[],
  answer: number[],
  length: number,
  ids: SpecialIds,
  random: SeededRandom,
  t?: number,
): Example | undefined {
  if (prompt.length + answer.length + 1 > length) return undefined;
  const clean = new Int32Array(length).fill(ids.eos);
  clean.set(prompt, 0);
  clean.set(answer, prompt.length);
  return scaled(maskSpan(clean, prompt.length, length, ids, random, t), 1 / (length - prompt.length));
}

/**
 * FIM: `prefix | middle + EOS padding | suffix` with the middle region (of `middle.length + padding`
 * positions) masked; prefix and suffix are never masked.
 */
export function fimExample(
  prefix: number[],
  middle: number[],
  suffix: number[],
  padding: number,
  ids: SpecialIds,
  random: SeededRandom,
  t?: number,
): Example {
  const region = middle.length + padding;
  const clean = new Int32Array(prefix.length + region + suffix.length).fill(ids.eos);
  clean.set(prefix, 0);
  clean.set(middle, prefix.length);
  clean.set(suffix, prefix.length + region);
  return scaled(maskSpan(clean, prefix.length, prefix.length + region, ids, random, t), 1 / region);
}

function scaled(example: Example, factor: number): Example {
  for (let i = 0; i < example.weights.length; i++) example.weights[i] = (example.weights[i] as number) * factor;
  return example;
}

/** `/** doc *\/` followed by a function: the comment becomes the request, the function the answer. */
export function docCommentPairs(source: string): { request: string; code: string }[] {
  const pairs: { request: string; code: string }[] = [];
  const pattern =
    /\/\*\*([\s\S]*?)\*\/[ \t]*\n([ \t]*)((?:export\s+)?(?:default\s+)?(?:async\s+)?function\*?\s+\w+[^\n]*\{[\s\S]*?\n\2\})/g;
  for (const match of source.matchAll(pattern)) {
    const request = (match[1] as string)
      .split("\n")
      .map((line) => line.replace(/^\s*\*\s?/, "").trim())
      .filter((line) => line && !line.startsWith("@"))
      .join(" ")
      .trim();
    const code = match[3] as string;
    if (request.length >= 12 && code.length <= 2000) pairs.push({ request, code });
  }
  return pairs;
}

export { SeededRandom };
