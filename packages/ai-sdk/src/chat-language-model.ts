// `mercury("mercury-2")`: a chat model of the AI SDK's language-model specification (v3), on @anneal/sdk.
// Text, reasoning and tool calls, whole or streamed; with `diffusing`, the drafts travel as raw parts
// and the answer's text arrives once, at the end, so the text stream stays append-only.
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
} from "@ai-sdk/provider";
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming, Mercury } from "@anneal/sdk";
import { toAISDKError } from "./api-call-error";
import { chatRequest } from "./chat-request";
import { requestOptions } from "./request-options";
import { finishReason, mercuryMetadata, usageOf } from "./response-parts";
import { StreamParts } from "./stream-parts";

export class MercuryChatLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = "v3";
  readonly provider = "mercury.chat";
  readonly supportedUrls = {};

  constructor(
    readonly modelId: string,
    private readonly client: Mercury,
  ) {}

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const { body, warnings } = chatRequest(this.modelId, options, false);
    const { data: completion, response } = await this.client.chat.completions
      .create(body as ChatCompletionCreateParamsNonStreaming, requestOptions(options))
      .withResponse()
      .catch((error: unknown) => Promise.reject(toAISDKError(error, this.#url, body)));
    const choice = completion.choices[0];
    const content: LanguageModelV3Content[] = [];
    if (choice?.message.reasoning_content) content.push({ type: "reasoning", text: choice.message.reasoning_content });
    if (choice?.message.content) content.push({ type: "text", text: choice.message.content });
    for (const call of choice?.message.tool_calls ?? []) {
      content.push({
        type: "tool-call",
        toolCallId: call.id,
        toolName: call.function.name,
        input: call.function.arguments || "{}",
      });
    }
    const metadata = mercuryMetadata(completion.usage, completion.reasoning_summary);
    return {
      content,
      finishReason: finishReason(choice?.finish_reason),
      usage: usageOf(completion.usage),
      ...(metadata ? { providerMetadata: metadata } : {}),
      request: { body },
      response: {
        id: completion.id,
        modelId: completion.model,
        timestamp: new Date(completion.created * 1000),
        headers: Object.fromEntries(response.headers),
        body: completion,
      },
      warnings: completion.warning ? [...warnings, { type: "other", message: completion.warning }] : warnings,
    };
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const { body, warnings, diffusing } = chatRequest(this.modelId, options, true);
    const { data: stream, response } = await this.client.chat.completions
      .create(body as ChatCompletionCreateParamsStreaming, requestOptions(options))
      .withResponse()
      .catch((error: unknown) => Promise.reject(toAISDKError(error, this.#url, body)));
    const chunks = stream[Symbol.asyncIterator]();
    const parts = new StreamParts(diffusing, options.includeRawChunks === true, (error) =>
      toAISDKError(error, this.#url, body),
    );
    let started = false;
    return {
      stream: new ReadableStream<LanguageModelV3StreamPart>({
        async pull(controller) {
          if (!started) {
            started = true;
            controller.enqueue({ type: "stream-start", warnings });
          }
          try {
            const next = await chunks.next();
            if (next.done) {
              for (const part of parts.end()) controller.enqueue(part);
              controller.close();
              return;
            }
            for (const part of parts.add(next.value)) controller.enqueue(part);
          } catch (error) {
            for (const part of parts.fail(error)) controller.enqueue(part);
            controller.close();
          }
        },
        async cancel() {
          await chunks.return?.();
        },
      }),
      request: { body },
      response: { headers: Object.fromEntries(response.headers) },
    };
  }

  get #url(): string {
    return `${this.client.baseURL}/chat/completions`;
  }
}
