// Per-answer figures the chat shows under each reply: tokens, forward passes, parallelism, speed, latency.
import type { Usage } from "@anneal/sdk";

export interface AnswerTiming {
  /** performance.now() when the request was sent. */
  sentAt: number;
  /** When the first text (or canvas) arrived. */
  firstTextAt?: number | undefined;
  /** When the stream ended. */
  endedAt?: number | undefined;
}

export interface AnswerStats {
  tokens?: number | undefined;
  forwardPasses?: number | undefined;
  tokensPerForward?: number | undefined;
  tokensPerSecond?: number | undefined;
  timeToFirstTextMs?: number | undefined;
}

/** What can be said of an answer; a figure the server did not send is left undefined, never guessed. */
export function answerStats(timing: AnswerTiming, usage: Usage | undefined): AnswerStats {
  const tokens = usage?.completion_tokens;
  const seconds =
    timing.endedAt !== undefined && timing.firstTextAt !== undefined
      ? (timing.endedAt - timing.sentAt) / 1000
      : undefined;
  return {
    tokens,
    forwardPasses: usage?.forward_passes,
    tokensPerForward: usage?.tokens_per_forward,
    tokensPerSecond: tokens !== undefined && seconds !== undefined && seconds > 0 ? tokens / seconds : undefined,
    timeToFirstTextMs: timing.firstTextAt !== undefined ? timing.firstTextAt - timing.sentAt : undefined,
  };
}

/** "42 tokens · 12 forwards · 3.5 tok/fwd · 120 tok/s · first text 80 ms" (only the known figures). */
export function formatStats(stats: AnswerStats): string {
  const parts: string[] = [];
  if (stats.tokens !== undefined) parts.push(`${stats.tokens} tokens`);
  if (stats.forwardPasses !== undefined) parts.push(`${stats.forwardPasses} forwards`);
  if (stats.tokensPerForward !== undefined) parts.push(`${stats.tokensPerForward.toFixed(2)} tok/fwd`);
  if (stats.tokensPerSecond !== undefined) parts.push(`${stats.tokensPerSecond.toFixed(1)} tok/s`);
  if (stats.timeToFirstTextMs !== undefined) parts.push(`first text ${Math.round(stats.timeToFirstTextMs)} ms`);
  return parts.join(" · ");
}
