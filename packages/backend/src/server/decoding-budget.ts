// How Mercury's `reasoning_effort` and `realtime` map onto the diffusion denoising budget.
//
// | effort  | sampler                       | tokens per forward | quality |
// | instant | threshold 0.5                 | most               | lowest  |
// | low     | threshold 0.7                 |                    |         |
// | medium  | threshold 0.9 (Fast-dLLM)     | default            |         |
// | high    | the model's published order   | 1                  | highest |
//
// ("high" commits one token per step in the order the model's authors publish: LLaDA's
// low-confidence remasking, Dream's, Dream-Coder's and DiffuCoder's entropy order; LLaDA2's
// published decoding commits at least one per step, and every other position above 0.95 with it.)
//
// Every setting decodes in 32-token semi-autoregressive blocks with the dual KV cache (high: no
// cache). `realtime` makes the first block 8 tokens, so the first text arrives after fewer steps.
import type { ReasoningEffort } from "@anneal/sdk/schema";
import type { GenerateOptions } from "../engine/generate";
import type { SamplerName } from "../engine/sampler";

export const BLOCK_LENGTH = 32;
export const REALTIME_FIRST_BLOCK = 8;

export function decodingBudget(
  effort: ReasoningEffort | undefined,
  realtime: boolean | undefined,
  maxTokens: number,
  publishedSampler: SamplerName = "low_confidence",
  publishedThreshold?: number,
): Pick<GenerateOptions, "sampler" | "threshold" | "steps" | "blockLength" | "firstBlockLength" | "cache"> {
  const blocks = { blockLength: BLOCK_LENGTH, ...(realtime ? { firstBlockLength: REALTIME_FIRST_BLOCK } : {}) };
  switch (effort ?? "medium") {
    case "instant":
      return { sampler: "threshold", threshold: 0.5, cache: "dual", ...blocks };
    case "low":
      return { sampler: "threshold", threshold: 0.7, cache: "dual", ...blocks };
    case "high":
      return {
        sampler: publishedSampler,
        ...(publishedThreshold !== undefined ? { threshold: publishedThreshold } : {}),
        steps: maxTokens,
        cache: "none",
        ...blocks,
      };
    default:
      return { sampler: "threshold", threshold: 0.9, cache: "dual", ...blocks };
  }
}
