// One answer: sends the conversation, streams the reply into the live view (append text, or whole
// drafts with their unsettled parts marked), and records the turn — or nothing, if it was cancelled.
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming, Usage } from "@anneal/sdk";
import type { ChatSession } from "./chat-session";
import { draftSegments } from "./unsettled";

/** The part of the SDK's stream a turn uses (the real one, or a stand-in in tests). */
export interface AnswerStream extends AsyncIterable<ChatCompletionChunk> {
  drafts(): AsyncIterable<string>;
  readonly usage: Usage | undefined;
}

export interface ChatClient {
  chat: {
    completions: {
      create(
        params: ChatCompletionCreateParamsStreaming,
        options?: { signal?: AbortSignal },
      ): PromiseLike<AnswerStream>;
    };
  };
}

export interface LiveAnswer {
  segments: { text: string; settled: boolean }[];
  /** Drafts or chunks received so far (each a denoising step or a piece of streamed text). */
  updates: number;
  /** performance.now() when the request went out. */
  startedAt: number;
}

export interface TurnResult {
  content: string;
  tokens: number;
  forwardPasses: number;
  seconds: number;
}

export async function runTurn(
  client: ChatClient,
  session: ChatSession,
  prompt: string,
  signal: AbortSignal,
  onUpdate: (live: LiveAnswer) => void,
): Promise<TurnResult> {
  const started = performance.now();
  const stream = await client.chat.completions.create(
    {
      model: session.model,
      messages: [...session.messages(), { role: "user", content: prompt }],
      stream: true,
      diffusing: session.diffusing,
      ...(session.effort ? { reasoning_effort: session.effort } : {}),
    },
    { signal },
  );
  let content = "";
  let updates = 0;
  if (session.diffusing) {
    for await (const draft of stream.drafts()) {
      onUpdate({ segments: draftSegments(content, draft), updates: ++updates, startedAt: started });
      content = draft;
    }
  } else {
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? "";
      onUpdate({ segments: [{ text: content, settled: true }], updates: ++updates, startedAt: started });
    }
  }
  const usage = stream.usage;
  const result = {
    content,
    tokens: usage?.completion_tokens ?? 0,
    forwardPasses: usage?.forward_passes ?? 0,
    seconds: (performance.now() - started) / 1000,
  };
  session.turns.push({ role: "user", content: prompt }, { role: "assistant", content });
  session.record(result.tokens, result.seconds, result.forwardPasses);
  return result;
}
