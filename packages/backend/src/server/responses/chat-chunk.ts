// Chunks of a streamed chat-shaped answer (chat, apply edit): deltas (or whole drafts), the finish,
// and the usage chunk that `stream_options.include_usage` asks for.
import type { CanvasFrame, ChatCompletionChunk, FinishReason, ToolCallDelta, Usage } from "@anneal/sdk/schema";
import type { ResponseMeta } from "./response-meta";

export interface ChatDelta {
  /** Only on a stream's first chunk. */
  role?: "assistant";
  /** Appended text, or with `diffusing` the whole current draft. */
  content?: string;
  tool_calls?: ToolCallDelta[];
}

/** `canvas`: the Anneal extension a `canvas: true` diffusing stream asked for. */
export function chatChunk(
  meta: ResponseMeta,
  delta: ChatDelta,
  finishReason: FinishReason | null,
  canvas?: CanvasFrame,
): ChatCompletionChunk {
  return {
    ...meta,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    ...(canvas ? { canvas } : {}),
  } satisfies ChatCompletionChunk;
}

export function chatUsageChunk(meta: ResponseMeta, usage: Usage): ChatCompletionChunk {
  return { ...meta, object: "chat.completion.chunk", choices: [], usage } satisfies ChatCompletionChunk;
}
