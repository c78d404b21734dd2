// How Mercury's `reasoning_effort` and `realtime` map onto the diffusion denoising budget.
//
// | effort  | sampler                       | tokens per forward | quality |
// | instant | threshold 0.5                 | most               | lowest  |
// | low     | threshold 0.7                 |                    |         |
// | medium  | threshold 0.9 (Fast-dLLM)     | default            |         |
// | high    | low_confidence, 1 per step    | 1                  | highest |
//
// Every setting decodes in 32-token semi-autoregressive blocks with the dual KV cache (high: no
// cache). `realtime` makes the first block 8 tokens, so the first text arrives after fewer steps.
import type { ReasoningEffort } from "@anneal/sdk/schema";
import type { GenerateOptions } from "../engine/generate";

export const BLOCK_LENGTH = 32;
export const REALTIME_FIRST_BLOCK = 8;

export function decodingBudget(
  effort: ReasoningEffort | undefined,
  realtime: boolean | undefined,
  maxTokens: number,
): Pick<GenerateOptions, "sampler" | "threshold" | "steps" | "blockLength" | "firstBlockLength" | "cache"> {
  const blocks = { blockLength: BLOCK_LENGTH, ...(realtime ? { firstBlockLength: REALTIME_FIRST_BLOCK } : {}) };
  switch (effort ?? "medium") {
    case "instant":
      return { sampler: "threshold", threshold: 0.5, cache: "dual", ...blocks };
    case "low":
      return { sampler: "threshold", threshold: 0.7, cache: "dual", ...blocks };
    case "high":
      return { sampler: "low_confidence", steps: maxTokens, cache: "none", ...blocks };
    default:
      return { sampler: "threshold", threshold: 0.9, cache: "dual", ...blocks };
  }
}
