// Decoding for block-diffusion models (SDAR): attention is bidirectional inside a block of B tokens
// and causal across blocks, so finished blocks have an exact KV cache. As SDAR's generate.py: the
// canvas runs to a multiple of B; the prompt's whole blocks are prefilled in one pass; each later
// block (the first may hold the prompt's tail) is denoised alone over the cache, a quota of its
// masked positions committed per step (at least the quota, more above the threshold), then forwarded
// once more, finished, so the cache holds its final keys and values. An answer ends after the block
// that commits a stop token.
import { BlockPasses, refuseForBlockDecoding } from "./block-passes";
import { Canvas } from "./canvas";
import { answerResult, commitStep, layOut, readCandidates } from "./canvas-steps";
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
  refuseForBlockDecoding(options);
  const o = withDefaults(options, architecture);
  // The canvas ends on a block boundary, as SDAR's total_length; the answer is cut to maxTokens.
  const total = Math.ceil((prompt.length + o.maxTokens) / B) * B;
  const canvas = new Canvas(prompt, total - prompt.length, [], architecture.maskId);
  if (o.constraint) layOut(canvas, o.constraint);
  const stopIds = new Set(o.stopIds);
  const random = new SeededRandom(o.seed);
  // Steps per block: the effort's budget spread over the answer's blocks, as the other decoders do.
  const stepsPerBlock = Math.max(1, Math.min(B, Math.round((o.steps * B) / o.maxTokens)));
  const quotas = linearQuota(B, stepsPerBlock);
  const passes = new BlockPasses(model, canvas, B, o);
  let firstCommitMs = -1;

  const prefill = Math.floor(prompt.length / B) * B;
  if (prefill > 0) await passes.run(0, prefill, []);
  for (let begin = prefill; begin < total; begin += B) {
    const end = begin + B;
    let step = 0;
    while (canvas.maskedIn(begin, end).length > 0) {
      const targets = canvas.maskedIn(begin, end);
      const { stats, statRows, rules } = await passes.run(begin, end, targets);
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
        { forwardPasses: passes.count, block: (begin - prefill) / B },
      );
      if (chosen.length > 0 && firstCommitMs < 0) firstCommitMs = performance.now() - started;
      step++;
      yield event;
    }
    const answerDone = end >= canvas.answerStart + o.maxTokens;
    if ((o.earlyStop && canvas.firstStop(stopIds, end) >= 0) || answerDone) break;
    await passes.run(begin, end, []); // the finished block's own keys and values, for the blocks after it
  }

  return answerResult(canvas, canvas.answerStart + o.maxTokens, stopIds, o.constraint, {
    forwardPasses: passes.count,
    started,
    forwardMs: passes.forwardMs,
    firstCommitMs,
  });
}
