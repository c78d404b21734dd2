// An AI SDK call as a Mercury chat request, with a warning for each setting Mercury has no place for.
import type { LanguageModelV3CallOptions, SharedV3Warning } from "@ai-sdk/provider";
import type { ChatCompletionCreateParams, Tool, ToolChoice } from "@anneal/sdk";
import { toChatMessages } from "./convert-prompt";
import { mercuryOptions } from "./provider-options";

export interface ChatRequest {
  body: ChatCompletionCreateParams;
  warnings: SharedV3Warning[];
  /** Whether drafts are streamed (`diffusing`). */
  diffusing: boolean;
}

export function chatRequest(modelId: string, options: LanguageModelV3CallOptions, stream: boolean): ChatRequest {
  const warnings: SharedV3Warning[] = [];
  const mercury = mercuryOptions(options.providerOptions);
  const tools: Tool[] = [];
  for (const tool of options.tools ?? []) {
    if (tool.type !== "function") {
      warnings.push({ type: "unsupported", feature: `provider-defined tool ${tool.name}` });
      continue;
    }
    tools.push({
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description ? { description: tool.description } : {}),
        parameters: tool.inputSchema as Record<string, unknown>,
        ...(tool.strict !== undefined ? { strict: tool.strict } : {}),
      },
    });
  }
  const format = options.responseFormat;
  const diffusing = stream && mercury.diffusing === true;
  if (mercury.diffusing && !stream) {
    warnings.push({ type: "unsupported", feature: "diffusing", details: "drafts exist only in streams (streamText)" });
  }
  if (diffusing && !options.includeRawChunks) {
    warnings.push({
      type: "other",
      message: "diffusing drafts arrive as raw chunks: pass includeRawChunks: true to streamText to see them",
    });
  }
  if (mercury.suffix !== undefined)
    warnings.push({ type: "unsupported", feature: "suffix", details: "chat models have no suffix; use mercury.fim()" });
  const body: ChatCompletionCreateParams = {
    model: modelId,
    messages: toChatMessages(options.prompt),
    ...(options.maxOutputTokens !== undefined ? { max_tokens: options.maxOutputTokens } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.topP !== undefined ? { top_p: options.topP } : {}),
    ...(options.topK !== undefined ? { top_k: options.topK } : {}),
    ...(options.presencePenalty !== undefined ? { presence_penalty: options.presencePenalty } : {}),
    ...(options.frequencyPenalty !== undefined ? { frequency_penalty: options.frequencyPenalty } : {}),
    ...(options.stopSequences?.length ? { stop: options.stopSequences } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(tools.length ? { tools } : {}),
    ...(tools.length && options.toolChoice ? { tool_choice: toolChoice(options.toolChoice) } : {}),
    ...(format?.type === "json"
      ? {
          response_format: format.schema
            ? {
                type: "json_schema" as const,
                json_schema: {
                  name: format.name ?? "response",
                  ...(format.description ? { description: format.description } : {}),
                  schema: format.schema as Record<string, unknown>,
                  strict: true,
                },
              }
            : { type: "json_object" as const },
        }
      : {}),
    ...(mercury.reasoningEffort ? { reasoning_effort: mercury.reasoningEffort } : {}),
    ...(mercury.reasoningSummary !== undefined ? { reasoning_summary: mercury.reasoningSummary } : {}),
    ...(mercury.realtime !== undefined ? { realtime: mercury.realtime } : {}),
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    ...(diffusing ? { diffusing: true } : {}),
  };
  return { body, warnings, diffusing };
}

function toolChoice(choice: NonNullable<LanguageModelV3CallOptions["toolChoice"]>): ToolChoice {
  return choice.type === "tool" ? { type: "function", function: { name: choice.toolName } } : choice.type;
}
