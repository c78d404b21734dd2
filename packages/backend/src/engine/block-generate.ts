// Decoding for block-diffusion models (SDAR): attention is bidirectional inside a block of B tokens
// and causal across blocks, so finished blocks have an exact KV cache. As SDAR's generate.py: the
// canvas runs to a multiple of B; the prompt's whole blocks are prefilled in one pass; each later
// block (the first may hold the prompt's tail) is denoised alone over the cache, a quota of its
// masked positions committed per step (at least the quota, more above the threshold), then forwarded
// once more, finished, so the cache holds its final keys and values. An answer ends after the block
// that commits a stop token.
import type { NativeStats } from "../native";
import { Canvas } from "./canvas";
import { abortReason, answerResult, commitStep, constrain, layOut, readCandidates } from "./canvas-steps";
import type { GenerateOptions, GenerateResult, GenerationModel, StepEvent } from "./generate";
import { withDefaults } from "./generate";
import { SeededRandom } from "./random";
import { linearQuota } from "./schedule";

export async function* generateBlocks(
  target: GenerationModel,
  prompt: ArrayLike<number>,
  options: GenerateOptions,
): AsyncGenerator<StepEvent, GenerateResult, undefined> {
  const started = performance.now();
  const { model, architecture } = target;
  const B = architecture.blockSize ?? 0;
  if (B <= 0) throw new RangeError("block decoding needs the model's block size");
  if ((options.suffix?.length ?? 0) > 0) throw new RangeError("block-diffusion models do not infill (no suffix)");
  if ((options.guidance ?? 0) > 0) throw new RangeError("block-diffusion decoding has no classifier-free guidance");
  const o = withDefaults(options, architecture);
  // The canvas ends on a block boundary, as SDAR's total_length; the answer is cut to maxTokens.
  const total = Math.ceil((prompt.length + o.maxTokens) / B) * B;
  const canvas = new Canvas(prompt, total - prompt.length, [], architecture.maskId);
  if (o.constraint) layOut(canvas, o.constraint);
  const stopIds = new Set(o.stopIds);
  const random = new SeededRandom(o.seed);
  const cache = model.createCache(total);
  const sampling = { temperature: o.temperature, topP: o.topP, topK: o.topK, seed: o.seed, suppress: o.suppress };
  // Steps per block: the effort's budget spread over the answer's blocks, as the other decoders do.
  const stepsPerBlock = Math.max(1, Math.min(B, Math.round((o.steps * B) / o.maxTokens)));
  const quotas = linearQuota(B, stepsPerBlock);
  let forwardPasses = 0;
  let forwardMs = 0;
  let firstCommitMs = -1;
  const pass = async (begin: number, end: number, statRows: number[]) => {
    if (o.signal?.aborted) throw abortReason(o.signal);
    const sequence = {
      tokens: canvas.tokens,
      rowBegin: begin,
      rowEnd: end,
      attendLength: end,
      blockSize: B,
      cache,
      statRows: Int32Array.from(statRows),
      sampling,
      step: forwardPasses,
    };
    const rules = o.constraint ? constrain(sequence, canvas, o.constraint, 0) : undefined;
    const t0 = performance.now();
    const [stats] = (await model.forward([sequence])) as [NativeStats];
    forwardMs += performance.now() - t0;
    forwardPasses++;
    return { stats, statRows: sequence.statRows, rules };
  };

  const prefill = Math.floor(prompt.length / B) * B;
  if (prefill > 0) await pass(0, prefill, []);
  for (let begin = prefill; begin < total; begin += B) {
    const end = begin + B;
    let step = 0;
    while (canvas.maskedIn(begin, end).length > 0) {
      const targets = canvas.maskedIn(begin, end);
      const { stats, statRows, rules } = await pass(begin, end, targets);
      const candidates = readCandidates(canvas, targets, statRows, stats, 0, o.temperature > 0);
      const { chosen, event } = commitStep(
        canvas,
        candidates,
        rules,
        o,
        {
          quota: quotas[step] ?? targets.length,
          step: Math.min(step, stepsPerBlock - 1),
          steps: stepsPerBlock,
          random,
        },
        { forwardPasses, block: (begin - prefill) / B },
      );
      if (chosen.length > 0 && firstCommitMs < 0) firstCommitMs = performance.now() - started;
      step++;
      yield event;
    }
    const answerDone = end >= canvas.answerStart + o.maxTokens;
    if ((o.earlyStop && canvas.firstStop(stopIds, end) >= 0) || answerDone) break;
    await pass(begin, end, []); // the finished block's own keys and values, for the blocks after it
  }

  return answerResult(canvas, canvas.answerStart + o.maxTokens, stopIds, o.constraint, {
    forwardPasses,
    started,
    forwardMs,
    firstCommitMs,
  });
}
