// Decoding for Fast-dLLM v2: block-causal attention over blocks of B (32), each block decoded a
// sub-block (8) at a time over the exact cache of the finished blocks, token i read from the logits
// at i − 1 (its token shift). As its modeling.py generate(): a prompt of a block or more has its
// whole blocks prefilled (and, when it ends on a block boundary, the next token read from the last
// logit); each block is then padded with masks to its end; every step forwards the block and commits
// each masked position of the current sub-block above the threshold, or at least the most confident;
// a finished block is forwarded once more — its keys and values kept — and its last logit gives the
// first token of the next block, as an autoregressive model would. A block whose committed stop
// token has no mask before it ends the answer.
import type { NativeStats } from "../native";
import { BlockPasses, refuseForBlockDecoding } from "./block-passes";
import { Canvas } from "./canvas";
import { answerResult, commitStep, readCandidates } from "./canvas-steps";
import type { GenerateOptions, GenerateResult, GenerationModel, StepEvent } from "./generate";
import { withDefaults } from "./generate";
import { SeededRandom } from "./random";

export async function* generateSubBlocks(
  target: GenerationModel,
  prompt: ArrayLike<number>,
  options: GenerateOptions,
): AsyncGenerator<StepEvent, GenerateResult, undefined> {
  const started = performance.now();
  const { model, architecture } = target;
  const B = architecture.blockSize ?? 0;
  const S = architecture.subBlockSize ?? B;
  if (B <= 0 || S <= 0 || B % S !== 0)
    throw new RangeError("sub-block decoding needs a block size that sub-blocks divide");
  refuseForBlockDecoding(options);
  if (options.constraint) throw new RangeError("structured output is not laid out for this model's decoding yet");
  const o = withDefaults(options, architecture);
  const P = prompt.length;
  // The first block: the prompt's last partial block, or (a prompt on a block boundary) the next one.
  const firstBlock = P % B === 0 ? P : Math.floor(P / B) * B;
  const blocks = Math.max(1, Math.ceil(o.maxTokens / B));
  // Room for every block and the token the last one's final pass reads after it.
  const canvas = new Canvas(prompt, firstBlock + blocks * B + 1 - P, [], architecture.maskId);
  const stopIds = new Set(o.stopIds);
  const random = new SeededRandom(o.seed);
  const passes = new BlockPasses(model, canvas, B, o);
  let firstCommitMs = -1;
  /** Commits a one-row pass's argmax at `position` (the autoregressive next token). */
  const commitNext = (stats: NativeStats, position: number) => canvas.commit(position, stats.argmax[0] as number);

  // (Its generate prefills only a prompt longer than one block: a prompt of exactly one block would
  // then not be attended to at all. Here it is prefilled like any other.)
  if (P >= B) {
    const prefill = Math.floor(P / B) * B;
    const { stats } = await passes.run(0, prefill, P % B === 0 ? [prefill - 1] : []);
    if (P % B === 0) commitNext(stats, P);
  }
  const stopped = () => {
    // A committed stop token with nothing masked before it (in the answer) ends the answer.
    const stop = canvas.firstStop(stopIds);
    return stop >= 0 && canvas.maskedIn(canvas.answerStart, stop).length === 0;
  };
  for (let block = 0; block < blocks; block++) {
    const begin = firstBlock + block * B;
    const end = begin + B;
    // A stop token already committed, the token read after the last block included, ends the answer.
    if (o.earlyStop && canvas.firstStop(stopIds, begin + 1) >= 0) break;
    // Token p from row p − 1; the block's first position (masked only when nothing precedes it in
    // the block's own pass) from its own row, as its generate does.
    const rowOf = (position: number) => (position > begin ? position - 1 : position);
    for (let sub = begin; sub < end && !(o.earlyStop && stopped()); sub += S) {
      while (canvas.maskedIn(sub, sub + S).length > 0 && !(o.earlyStop && stopped())) {
        const targets = canvas.maskedIn(sub, sub + S);
        const { stats, statRows } = await passes.run(begin, end, targets.map(rowOf));
        const candidates = readCandidates(canvas, targets, statRows, stats, 0, o.temperature > 0, rowOf);
        const { chosen, event } = commitStep(
          canvas,
          candidates,
          undefined,
          o,
          { quota: 1, step: 0, steps: 1, random },
          { forwardPasses: passes.count, block },
        );
        if (chosen.length > 0 && firstCommitMs < 0) firstCommitMs = performance.now() - started;
        yield event;
      }
    }
    if (canvas.maskedIn(begin, end).length > 0) break; // ended by a stop token
    const { stats } = await passes.run(begin, end, [end - 1]);
    commitNext(stats, end);
  }
  return answerResult(canvas, Math.min(canvas.answerEnd, canvas.answerStart + o.maxTokens), stopIds, undefined, {
    forwardPasses: passes.count,
    started,
    forwardMs: passes.forwardMs,
    firstCommitMs,
  });
}
