// The chat's settings and how they become request fields (one place, so the form and the request agree).
import type { ChatCompletionCreateParamsStreaming, ReasoningEffort } from "@anneal/sdk";

export interface ChatSettings {
  systemPrompt: string;
  effort: ReasoningEffort;
  temperature: number;
  topP: number;
  maxTokens: number;
  /** Empty for none; a number makes sampling at temperature > 0 reproducible. */
  seed: string;
  realtime: boolean;
  /** Stream the canvas (diffusing drafts with each position's mask and confidence). */
  liveCanvas: boolean;
  /** Tint each canvas position by the model's confidence in it. */
  shadeByConfidence: boolean;
}

export const DEFAULT_CHAT_SETTINGS: ChatSettings = {
  systemPrompt: "",
  effort: "medium",
  temperature: 0,
  topP: 1,
  maxTokens: 256,
  seed: "",
  realtime: false,
  liveCanvas: true,
  shadeByConfidence: true,
};

export const EFFORTS: readonly ReasoningEffort[] = ["instant", "low", "medium", "high"];

type ChatRequestFields = Omit<ChatCompletionCreateParamsStreaming, "model" | "messages">;

export function requestFields(settings: ChatSettings): ChatRequestFields {
  const seed = Number.parseInt(settings.seed, 10);
  return {
    stream: true,
    stream_options: { include_usage: true },
    reasoning_effort: settings.effort,
    temperature: settings.temperature,
    top_p: settings.topP,
    max_tokens: settings.maxTokens,
    ...(Number.isInteger(seed) ? { seed } : {}),
    ...(settings.realtime ? { realtime: true } : {}),
    ...(settings.liveCanvas ? { diffusing: true, canvas: true } : {}),
  };
}
