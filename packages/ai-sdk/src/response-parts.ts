// Mercury's finish reasons, usage and metadata as the AI SDK names them.
import type { LanguageModelV3FinishReason, LanguageModelV3Usage, SharedV3ProviderMetadata } from "@ai-sdk/provider";
import type { ReasoningSummary, Usage } from "@anneal/sdk";

export function finishReason(raw: string | null | undefined): LanguageModelV3FinishReason {
  const unified =
    raw === "stop"
      ? "stop"
      : raw === "length"
        ? "length"
        : raw === "tool_calls"
          ? "tool-calls"
          : raw === "content_filter"
            ? "content-filter"
            : "other";
  return { unified, raw: raw ?? undefined };
}

export function usageOf(usage: Usage | null | undefined): LanguageModelV3Usage {
  const input = usage?.prompt_tokens;
  const cached = usage?.cached_input_tokens ?? usage?.prompt_tokens_details?.cached_tokens ?? undefined;
  const output = usage?.completion_tokens;
  const reasoning = usage?.reasoning_tokens ?? usage?.completion_tokens_details?.reasoning_tokens ?? undefined;
  return {
    inputTokens: {
      total: input,
      noCache: input !== undefined && cached !== undefined ? input - cached : undefined,
      cacheRead: cached,
      cacheWrite: undefined,
    },
    outputTokens: {
      total: output,
      text: output !== undefined && reasoning !== undefined ? output - reasoning : undefined,
      reasoning,
    },
    ...(usage ? { raw: usage as Record<string, unknown> } : {}),
  } as LanguageModelV3Usage;
}

/** `providerMetadata.mercury`: the reasoning summary and Anneal's decode statistics, when sent. */
export function mercuryMetadata(
  usage: Usage | null | undefined,
  summary: ReasoningSummary | null | undefined,
): SharedV3ProviderMetadata | undefined {
  const metadata: Record<string, string | number> = {};
  if (summary?.content) metadata.reasoningSummary = summary.content;
  if (summary?.status) metadata.reasoningSummaryStatus = summary.status;
  if (usage?.forward_passes !== undefined) metadata.forwardPasses = usage.forward_passes;
  if (usage?.tokens_per_forward !== undefined) metadata.tokensPerForward = usage.tokens_per_forward;
  return Object.keys(metadata).length ? { mercury: metadata } : undefined;
}
