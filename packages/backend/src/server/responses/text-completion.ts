// FIM answers (`text_completion`), whole and streamed: `choices[].text` is the answer or the piece appended.
import type { FimCompletion, FimCompletionChunk, FinishReason, Usage } from "@anneal/sdk/schema";
import type { ResponseMeta } from "./response-meta";

export function textCompletion(
  meta: ResponseMeta,
  text: string,
  finishReason: FinishReason,
  usage: Usage,
): FimCompletion {
  return {
    ...meta,
    object: "text_completion",
    choices: [{ index: 0, text, finish_reason: finishReason, logprobs: null }],
    usage,
  } satisfies FimCompletion;
}

export function textChunk(meta: ResponseMeta, text: string, finishReason: FinishReason | null): FimCompletionChunk {
  return {
    ...meta,
    object: "text_completion",
    choices: [{ index: 0, text, finish_reason: finishReason, logprobs: null }],
  } satisfies FimCompletionChunk;
}

export function textUsageChunk(meta: ResponseMeta, usage: Usage): FimCompletionChunk {
  return { ...meta, object: "text_completion", choices: [], usage } satisfies FimCompletionChunk;
}
