// generate(): diffusion decoding of one answer, block by block (semi-autoregressive), yielding the
// canvas after every step and returning the answer with its statistics.
//
// Per block [s, e): forward the rows the cache mode needs, read statistics for the block's masked
// positions (row p − 1 for models whose logits are shifted), let the sampler pick what to commit.
import type { NativeKvCache, NativeModel, NativeSequence, NativeStats } from "../native";
import { generateBlocks } from "./block-generate";
import { Canvas } from "./canvas";
import { abortReason, answerResult, commitStep, constrain, layOut, readCandidates } from "./canvas-steps";
import { SeededRandom } from "./random";
import { type SamplerName, usesStepBudget } from "./sampler";
import { linearQuota } from "./schedule";
import type { CanvasConstraint } from "./structured/canvas-rules";
import { generateSubBlocks } from "./sub-block-generate";

export type CacheMode = "none" | "prefix" | "dual";

export interface GenerateOptions {
  /** Answer length in tokens (the canvas); the answer may end earlier at a stop token. */
  maxTokens: number;
  /** Semi-autoregressive block size. Default min(32, maxTokens). */
  blockLength?: number;
  /** A smaller first block for a faster first commit (Mercury's `realtime`). Default blockLength. */
  firstBlockLength?: number;
  /** Step budget over the whole answer for fixed-step samplers. Default maxTokens (one token per step). */
  steps?: number;
  /** Default "threshold" (Fast-dLLM). */
  sampler?: SamplerName;
  /** Probability a token needs to be committed by the threshold sampler. Default 0.9. */
  threshold?: number;
  /** Fast-dLLM's factor rule parameter. Default 1. */
  factor?: number;
  /** Approximate KV cache: "prefix" reuses K/V before the block, "dual" also after it. Default "none". */
  cache?: CacheMode;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  /** Ids that end the answer. Default: the model's. */
  stopIds?: number[];
  /** Stop after the block that commits a stop token. Default true. */
  earlyStop?: boolean;
  /** Infilling: the canvas sits between the prompt and these tokens. */
  suffix?: number[];
  /** Tokens never proposed, e.g. EOS for LLaDA's `logits_eos_inf` (the mask token never is, always). */
  suppressTokens?: number[];
  /** Tokens committed only when nothing else is left (LLaDA's `confidence_eos_eot_inf`). */
  deferTokens?: number[];
  /** LLaDA's unsupervised classifier-free guidance scale (`cfg_scale`); needs `cache: "none"`. */
  guidance?: number;
  /** Dream's `alg_temp`: draw positions from softmax(score / it) instead of taking the top ones. */
  positionTemperature?: number;
  /** Estimate every masked position at every step (for a live diffusing view), not just the block's. */
  drafts?: boolean;
  /**
   * Structured output: the answer is this laid-out canvas (its length is the answer length); fixed
   * tokens are committed before the first step and each masked position only takes what the rules
   * allow. No stop token ends it early; its padding is left out of the answer.
   */
  constraint?: CanvasConstraint;
  signal?: AbortSignal;
}

export interface StepEvent {
  type: "step";
  /** Forward passes so far. */
  step: number;
  block: number;
  /** The answer region now: committed tokens, estimates at still-masked positions. */
  draft: Int32Array;
  /** 1 where the answer is still masked. */
  masked: Uint8Array;
  /** The model's probability of each draft token (see Canvas.confidences); only with `drafts`. */
  confidence?: Float32Array;
  /** Answer-relative positions committed by this step. */
  committed: number[];
}

export interface GenerateResult {
  /** The answer's tokens, cut before the first stop token. */
  tokens: number[];
  finishReason: "stop" | "length";
  forwardPasses: number;
  tokensPerForward: number;
  timings: { totalMs: number; forwardMs: number; firstCommitMs: number };
}

/** What generate needs of a loaded model. */
export interface GenerationModel {
  model: Pick<NativeModel, "forward" | "createCache">;
  /**
   * `blockSize` > 0: a block-diffusion model, decoded by generateBlocks (block-generate.ts, SDAR), or
   * with `subBlockSize` by generateSubBlocks (sub-block-generate.ts, Fast-dLLM v2).
   */
  architecture: { maskId: number; stopIds: number[]; shiftLogits: boolean; blockSize?: number; subBlockSize?: number };
}

export async function* generate(
  target: GenerationModel,
  prompt: ArrayLike<number>,
  options: GenerateOptions,
): AsyncGenerator<StepEvent, GenerateResult, undefined> {
  if ((target.architecture.blockSize ?? 0) > 0) {
    return yield* (target.architecture.subBlockSize ? generateSubBlocks : generateBlocks)(target, prompt, options);
  }
  const started = performance.now();
  const { model, architecture } = target;
  const o = withDefaults(options, architecture);
  const canvas = new Canvas(prompt, o.maxTokens, o.suffix, architecture.maskId);
  if (o.constraint) layOut(canvas, o.constraint);
  const stopIds = new Set(o.stopIds);
  const shift = architecture.shiftLogits ? 1 : 0;
  const random = new SeededRandom(o.seed);
  const cache: NativeKvCache | null = o.cache === "none" ? null : model.createCache(canvas.length);
  const bounds = blockBounds(canvas.answerStart, o.maxTokens, o.firstBlockLength, o.blockLength);
  const blocks = bounds.length;
  const stepsPerBlock = Math.max(1, Math.round(o.steps / blocks));
  let forwardPasses = 0;
  let forwardMs = 0;
  let firstCommitMs = -1;

  for (let block = 0; block < blocks; block++) {
    const [begin, end] = bounds[block] as [number, number];
    const quotas = linearQuota(end - begin, stepsPerBlock);
    let blockStep = 0;
    while (canvas.maskedIn(begin, end).length > 0) {
      if (o.signal?.aborted) throw abortReason(o.signal);
      const budgeted = usesStepBudget(o.sampler);
      const quota = budgeted ? (quotas[blockStep] ?? end - begin) : 0;
      if (budgeted && quota === 0 && o.sampler !== "origin" && blockStep < stepsPerBlock - 1) {
        blockStep++; // nothing to commit at this step of the schedule: skip its forward pass
        continue;
      }
      const targets = canvas.maskedIn(begin, end);
      const viewed = o.drafts ? canvas.maskedIn(canvas.answerStart, canvas.answerEnd) : targets;
      const sequence = plan(canvas, { begin, end, firstStep: blockStep === 0, shift, cache, mode: o.cache }, viewed);
      const rules = o.constraint ? constrain(sequence, canvas, o.constraint, shift) : undefined;
      sequence.sampling = o.sampling;
      sequence.step = forwardPasses;
      if (o.guidance > 0) {
        sequence.guidance = o.guidance;
        sequence.unconditional = canvas.withoutContext();
      }

      const t0 = performance.now();
      const [stats] = (await model.forward([sequence])) as [NativeStats];
      forwardMs += performance.now() - t0;
      forwardPasses++;

      const candidates = readCandidates(canvas, viewed, sequence.statRows, stats, shift, o.temperature > 0);
      const { chosen, event } = commitStep(
        canvas,
        candidates.filter((c) => c.position >= begin && c.position < end),
        rules,
        o,
        { quota, step: Math.min(blockStep, stepsPerBlock - 1), steps: stepsPerBlock, random },
        { forwardPasses, block },
      );
      if (chosen.length > 0 && firstCommitMs < 0) firstCommitMs = performance.now() - started;
      blockStep++;
      yield event;
    }
    if (o.earlyStop && canvas.firstStop(stopIds, end) >= 0) break;
  }

  return answerResult(canvas, canvas.answerEnd, stopIds, o.constraint, {
    forwardPasses,
    started,
    forwardMs,
    firstCommitMs,
  });
}

interface PassPlan {
  begin: number;
  end: number;
  firstStep: boolean;
  shift: number;
  cache: NativeKvCache | null;
  mode: CacheMode;
}

/**
 * Which rows to compute. Without a cache: the whole canvas. With one, the block's first step
 * refreshes every row; later steps recompute from the block on ("prefix") or only the block
 * ("dual"), reading the other positions' keys and values from the cache. Shifted models also need
 * the row just before the block.
 */
function plan(canvas: Canvas, p: PassPlan, viewed: number[]): NativeSequence {
  const rowOf = (position: number) => Math.max(0, position - p.shift);
  let rowBegin = 0;
  let rowEnd = canvas.length;
  if (p.cache && !p.firstStep) {
    rowBegin = rowOf(p.begin);
    if (p.mode === "dual") rowEnd = p.end;
  }
  const statRows = viewed.map(rowOf).filter((row) => row >= rowBegin && row < rowEnd);
  return {
    tokens: canvas.tokens,
    rowBegin,
    rowEnd,
    attendLength: canvas.length,
    cache: p.cache,
    statRows: Int32Array.from(new Set(statRows)),
  };
}

/** [begin, end) of each block: the first may be shorter, the last takes what is left. */
function blockBounds(start: number, length: number, first: number, size: number): [number, number][] {
  const bounds: [number, number][] = [];
  for (let begin = start; begin < start + length; ) {
    const end = Math.min(begin + (bounds.length === 0 ? first : size), start + length);
    bounds.push([begin, end]);
    begin = end;
  }
  return bounds;
}

export function withDefaults(options: GenerateOptions, architecture: { maskId: number; stopIds: number[] }) {
  const maxTokens = options.constraint ? options.constraint.length : options.maxTokens;
  if (!Number.isInteger(maxTokens) || maxTokens <= 0) throw new RangeError("maxTokens must be a positive integer");
  if ((options.guidance ?? 0) > 0 && (options.cache ?? "none") !== "none") {
    throw new RangeError('guidance runs without a KV cache: use cache "none"');
  }
  const settings = {
    maxTokens,
    blockLength: Math.max(1, Math.min(options.blockLength ?? 32, maxTokens)),
    firstBlockLength: Math.max(1, Math.min(options.firstBlockLength ?? options.blockLength ?? 32, maxTokens)),
    steps: Math.max(1, options.steps ?? maxTokens),
    sampler: options.sampler ?? ("threshold" as SamplerName),
    threshold: options.threshold ?? 0.9,
    factor: options.factor ?? 1,
    cache: options.cache ?? ("none" as CacheMode),
    temperature: options.temperature ?? 0,
    topP: options.topP ?? 1,
    topK: options.topK ?? 0,
    seed: options.seed ?? 0,
    stopIds: options.stopIds ?? architecture.stopIds,
    earlyStop: options.constraint ? false : (options.earlyStop ?? true),
    suffix: options.suffix ?? [],
    // The mask token is never an answer: a model whose argmax is the mask would otherwise never finish.
    suppress: Int32Array.from(new Set([architecture.maskId, ...(options.suppressTokens ?? [])])),
    deferTokens: new Set(options.deferTokens ?? []),
    positionTemperature: options.positionTemperature ?? 0,
    guidance: options.guidance ?? 0,
    drafts: options.drafts ?? false,
    constraint: options.constraint,
    signal: options.signal,
  };
  // What every pass asks of the addon's sampling, derived once.
  const { temperature, topP, topK, seed, suppress } = settings;
  return { ...settings, sampling: { temperature, topP, topK, seed, suppress } };
}
