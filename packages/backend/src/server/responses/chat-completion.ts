// The non-streamed answers of the chat-shaped endpoints: `chat.completion` (chat, apply edit) and
// `edit.completion` (next edit).
import type { ChatCompletion, EditCompletion, FinishReason, ToolCall, Usage } from "@anneal/sdk/schema";
import type { ResponseMeta } from "./response-meta";

/** The assistant's final turn: text, or tool calls (with any text before them). */
export interface FinalAnswer {
  content: string | null;
  toolCalls: ToolCall[] | undefined;
  finishReason: FinishReason;
}

export function chatCompletion(
  meta: ResponseMeta,
  answer: FinalAnswer,
  usage: Usage,
  warning?: string,
): ChatCompletion {
  return {
    ...meta,
    object: "chat.completion",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: answer.content,
          ...(answer.toolCalls ? { tool_calls: answer.toolCalls } : {}),
        },
        finish_reason: answer.finishReason,
      },
    ],
    usage,
    ...(warning ? { warning } : {}),
  } satisfies ChatCompletion;
}

export function editCompletion(meta: ResponseMeta, answer: FinalAnswer, usage: Usage): EditCompletion {
  return { ...chatCompletion(meta, answer, usage), object: "edit.completion" } satisfies EditCompletion;
}
