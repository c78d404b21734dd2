// The reference samplers at temperature 0, written from each family's published generation code on
// top of the float64 reference forward: LLaDA's generate.py (semi-autoregressive blocks, a linear
// quota per step, low-confidence remasking — also LLaDA-1.5's and LLaDA-MoE's), and Dream's
// diffusion_generate (generation_utils.py: one canvas, timestep quotas, shifted logits, the
// "entropy" order that Dream-Coder and DiffuCoder publish). Every step re-runs the whole sequence.
// One deliberate difference, the engine's too: the mask token is never proposed (its logit counts
// as −∞), which only matters for a model whose favourite token is the mask.
import { referenceLogits } from "./reference-model";
import type { TinyModelSpec, Weights } from "./write-checkpoint";

interface Estimate {
  position: number;
  token: number;
  probability: number;
  entropy: number;
}

/** The argmax token of each masked position in [0, limit), its probability and entropy. */
function estimates(logits: Float64Array[], tokens: number[], maskId: number, limit: number): Estimate[] {
  const out: Estimate[] = [];
  for (let position = 0; position < limit; position++) {
    if (tokens[position] !== maskId) continue;
    const row = Float64Array.from(logits[position] as Float64Array);
    row[maskId] = Number.NEGATIVE_INFINITY;
    let best = 0;
    for (let v = 1; v < row.length; v++) if ((row[v] as number) > (row[best] as number)) best = v;
    const max = row[best] as number;
    const exps = Array.from(row, (value) => Math.exp(value - max));
    const total = exps.reduce((a, b) => a + b, 0);
    const entropy = -exps.reduce((sum, e) => (e > 0 ? sum + (e / total) * Math.log(e / total) : sum), 0);
    out.push({ position, token: best, probability: 1 / total, entropy });
  }
  return out;
}

/** The `count` best by `score`, ties to the earlier position. */
function best(candidates: Estimate[], score: (e: Estimate) => number, count: number): Estimate[] {
  return [...candidates].sort((a, b) => score(b) - score(a) || a.position - b.position).slice(0, count);
}

/** LLaDA's generate() at temperature 0 with low-confidence remasking: the answer's tokens. */
export function referenceLladaGenerate(
  spec: TinyModelSpec,
  weights: Weights,
  prompt: number[],
  options: { maxTokens: number; blockLength: number; steps: number; maskId: number },
): number[] {
  const tokens = [...prompt, ...Array<number>(options.maxTokens).fill(options.maskId)];
  const blocks = options.maxTokens / options.blockLength;
  const stepsPerBlock = options.steps / blocks;
  for (let b = 0; b < blocks; b++) {
    const end = prompt.length + (b + 1) * options.blockLength;
    const masked = tokens.slice(end - options.blockLength, end).filter((t) => t === options.maskId).length;
    // get_num_transfer_tokens: an even split, the remainder to the first steps.
    const quota = Array.from(
      { length: stepsPerBlock },
      (_, i) => Math.floor(masked / stepsPerBlock) + (i < masked % stepsPerBlock ? 1 : 0),
    );
    for (const count of quota) {
      const logits = referenceLogits(spec, weights, tokens);
      for (const pick of best(estimates(logits, tokens, options.maskId, end), (e) => e.probability, count)) {
        tokens[pick.position] = pick.token;
      }
    }
  }
  return tokens.slice(prompt.length);
}

/** Dream's diffusion_generate() at temperature 0 with alg="entropy": the answer's tokens. */
export function referenceDreamGenerate(
  spec: TinyModelSpec,
  weights: Weights,
  prompt: number[],
  options: { maxTokens: number; steps: number; maskId: number; eps?: number },
): number[] {
  const tokens = [...prompt, ...Array<number>(options.maxTokens).fill(options.maskId)];
  const eps = options.eps ?? 1e-3;
  const t = (i: number) => 1 + ((eps - 1) * i) / options.steps; // torch.linspace(1, eps, steps + 1)
  for (let i = 0; i < options.steps; i++) {
    const raw = referenceLogits(spec, weights, tokens);
    const logits = [raw[0] as Float64Array, ...raw.slice(0, -1)]; // token i from the logits at i − 1
    const candidates = estimates(logits, tokens, options.maskId, tokens.length);
    const count = i < options.steps - 1 ? Math.floor(candidates.length * (1 - t(i + 1) / t(i))) : candidates.length;
    for (const pick of best(candidates, (e) => -e.entropy, count)) tokens[pick.position] = pick.token;
  }
  return tokens.slice(prompt.length);
}

/**
 * SDAR's block_diffusion_generate() (JetAstra/SDAR generate.py) at temperature 0 with the
 * "low_confidence_dynamic" strategy: the canvas runs to a multiple of the block size; each block
 * from the one holding the prompt's end is denoised with block-causal attention, each step
 * committing every masked position above the threshold if they are at least that step's quota
 * (get_num_transfer_tokens(block_length, steps)), else the quota's most confident. Recomputing the
 * whole sequence each step gives what its KV cache gives (earlier blocks never see later ones).
 * LLaDA2's generate (modeling_llada2_moe.py) decodes the same way, in blocks of 32 above 0.95.
 */
export function referenceSdarGenerate(
  spec: TinyModelSpec,
  weights: Weights,
  prompt: number[],
  options: { maxTokens: number; blockSize: number; stepsPerBlock: number; threshold: number; maskId: number },
): number[] {
  const B = options.blockSize;
  const total = Math.ceil((prompt.length + options.maxTokens) / B) * B;
  const tokens = [...prompt, ...Array<number>(total - prompt.length).fill(options.maskId)];
  const steps = options.stepsPerBlock;
  const quota = Array.from({ length: steps }, (_, i) => Math.floor(B / steps) + (i < B % steps ? 1 : 0));
  for (let begin = Math.floor(prompt.length / B) * B; begin < total; begin += B) {
    for (let step = 0; step <= steps; step++) {
      const inBlock = (e: Estimate) => e.position >= begin;
      const logits = referenceLogits(spec, weights, tokens, { blockSize: B });
      const candidates = estimates(logits, tokens, options.maskId, begin + B).filter(inBlock);
      if (candidates.length === 0) break;
      const count = quota[step] ?? candidates.length;
      const above = candidates.filter((e) => e.probability > options.threshold);
      const chosen = above.length >= count ? above : best(candidates, (e) => e.probability, count);
      for (const pick of chosen) tokens[pick.position] = pick.token;
    }
  }
  return tokens.slice(prompt.length, prompt.length + options.maxTokens);
}

/** The argmax of one row (the mask never: see above) and its softmax probability. */
function argmaxOf(row: Float64Array, maskId: number): { token: number; probability: number } {
  const [estimate] = estimates([row], [maskId], maskId, 1);
  return { token: (estimate as Estimate).token, probability: (estimate as Estimate).probability };
}

/**
 * Fast-dLLM v2's generate() (its modeling.py) at temperature 0: block-causal attention over blocks of
 * B, token i from the logits at i − 1 (a block's first position from its own); a prompt of a block or
 * more has its whole blocks prefilled, and one ending on a block boundary gets the next token from
 * the last logit; each block is padded with masks to its end and decoded a sub-block at a time, every
 * step committing the sub-block's masked positions above the threshold and at least the most
 * confident; a finished block's last logit gives the next block's first token.
 */
export function referenceFastDllmV2Generate(
  spec: TinyModelSpec,
  weights: Weights,
  prompt: number[],
  options: { maxTokens: number; blockSize: number; subBlockSize: number; threshold: number; maskId: number },
): number[] {
  const { blockSize: B, subBlockSize: S, maskId } = options;
  const logitsOf = (tokens: number[]) => referenceLogits(spec, weights, tokens, { blockSize: B });
  const x = [...prompt];
  // (Its code takes this path only for a prompt longer than a block; one of exactly a block would then
  // go unattended. Both here take it.)
  if (x.length >= B && x.length % B === 0) x.push(argmaxOf(logitsOf(x).at(-1) as Float64Array, maskId).token);
  for (let block = 0; block < options.maxTokens / B; block++) {
    x.push(...Array<number>(B - (x.length % B)).fill(maskId));
    const begin = x.length - B;
    const rowOf = (position: number) => (position > begin ? position - 1 : position);
    for (let sub = begin; sub < begin + B; sub += S) {
      for (;;) {
        const masked = Array.from({ length: S }, (_, i) => sub + i).filter((p) => x[p] === maskId);
        if (masked.length === 0) break;
        const logits = logitsOf(x);
        const proposals = masked.map((position) => ({
          position,
          ...argmaxOf(logits[rowOf(position)] as Float64Array, maskId),
        }));
        const top = proposals.reduce((a, b) => (b.probability > a.probability ? b : a));
        for (const p of proposals) if (p.probability > options.threshold || p === top) x[p.position] = p.token;
      }
    }
    x.push(argmaxOf(logitsOf(x).at(-1) as Float64Array, maskId).token);
  }
  return x.slice(prompt.length, prompt.length + options.maxTokens);
}
