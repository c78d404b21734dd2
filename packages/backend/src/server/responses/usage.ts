// The usage object of every answer: the contract's counts plus Anneal's decode statistics.
import type { Usage } from "@anneal/sdk/schema";

export interface DecodeCounts {
  completionTokens: number;
  forwardPasses: number;
  tokensPerForward: number;
}

/** No prompt cache and no hidden reasoning here: those counts are 0, in both the flat and nested forms. */
export function usageOf(promptTokens: number, decode: DecodeCounts): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: decode.completionTokens,
    total_tokens: promptTokens + decode.completionTokens,
    reasoning_tokens: 0,
    cached_input_tokens: 0,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
    forward_passes: decode.forwardPasses,
    tokens_per_forward: Number(decode.tokensPerForward.toFixed(3)),
  } satisfies Usage;
}
