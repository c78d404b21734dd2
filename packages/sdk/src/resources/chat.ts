// `client.chat.completions` ↔ `POST /chat/completions`.
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams } from "../schema/chat";
import { ChatCompletionAccumulator } from "../streaming/chat-accumulator";
import type { ChatCompletionStream } from "../streaming/completion-stream";
import type { APIPromise } from "../transport/api-promise";
import type { RequestOptions } from "../transport/request-options";
import type { Transport } from "../transport/transport";
import { withUsageByDefault } from "./stream-body";

export type ChatCompletionCreateParamsStreaming = ChatCompletionCreateParams & { stream: true };
export type ChatCompletionCreateParamsNonStreaming = Omit<ChatCompletionCreateParams, "stream" | "diffusing"> & {
  stream?: false | null;
  /** Drafts only exist in streams. */
  diffusing?: false;
};

export class ChatCompletions {
  constructor(private readonly transport: Transport) {}

  /**
   * Creates a chat completion. With `stream: true` it resolves to a stream of chunks once the
   * response starts; add `diffusing: true` to receive whole drafts that replace each other.
   */
  create(params: ChatCompletionCreateParamsStreaming, options?: RequestOptions): APIPromise<ChatCompletionStream>;
  create(params: ChatCompletionCreateParamsNonStreaming, options?: RequestOptions): APIPromise<ChatCompletion>;
  create(
    params: ChatCompletionCreateParams,
    options?: RequestOptions,
  ): APIPromise<ChatCompletionStream | ChatCompletion>;
  create(
    params: ChatCompletionCreateParams,
    options?: RequestOptions,
  ): APIPromise<ChatCompletionStream | ChatCompletion> {
    if (params.stream) {
      const accumulator = new ChatCompletionAccumulator(params.diffusing === true);
      return this.transport.stream<ChatCompletionChunk, ChatCompletion>(
        "/chat/completions",
        withUsageByDefault(params),
        accumulator,
        options,
      );
    }
    return this.transport.request<ChatCompletion>("post", "/chat/completions", params, options);
  }
}

export class Chat {
  readonly completions: ChatCompletions;

  constructor(transport: Transport) {
    this.completions = new ChatCompletions(transport);
  }
}
