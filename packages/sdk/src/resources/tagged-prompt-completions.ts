// Next edit (`/edit/completions`) and apply edit (`/apply/completions`): one tagged user message in,
// a chat completion out. Build the message with `buildNextEditPrompt` / `buildApplyEditPrompt`.
import type { ChatCompletion, ChatCompletionChunk } from "../schema/chat";
import type { TaggedPromptParams } from "../schema/tagged-prompt";
import { ChatCompletionAccumulator } from "../streaming/chat-accumulator";
import type { ChatCompletionStream } from "../streaming/completion-stream";
import type { APIPromise } from "../transport/api-promise";
import type { RequestOptions } from "../transport/request-options";
import type { Transport } from "../transport/transport";
import { withUsageByDefault } from "./stream-body";

export type TaggedPromptParamsStreaming = TaggedPromptParams & { stream: true };
export type TaggedPromptParamsNonStreaming = TaggedPromptParams & { stream?: false | null };

export class TaggedPromptCompletions {
  constructor(
    private readonly transport: Transport,
    private readonly path: "/edit/completions" | "/apply/completions",
  ) {}

  /** Non-streaming is the documented mode; streaming (append deltas) works where the server offers it. */
  create(params: TaggedPromptParamsStreaming, options?: RequestOptions): APIPromise<ChatCompletionStream>;
  create(params: TaggedPromptParamsNonStreaming, options?: RequestOptions): APIPromise<ChatCompletion>;
  create(params: TaggedPromptParams, options?: RequestOptions): APIPromise<ChatCompletionStream | ChatCompletion>;
  create(params: TaggedPromptParams, options?: RequestOptions): APIPromise<ChatCompletionStream | ChatCompletion> {
    if (params.stream) {
      return this.transport.stream<ChatCompletionChunk, ChatCompletion>(
        this.path,
        withUsageByDefault(params),
        new ChatCompletionAccumulator(false),
        options,
      );
    }
    return this.transport.request<ChatCompletion>("post", this.path, params, options);
  }
}

/** `client.edit.completions`: next-edit prediction. */
export class Edit {
  readonly completions: TaggedPromptCompletions;

  constructor(transport: Transport) {
    this.completions = new TaggedPromptCompletions(transport, "/edit/completions");
  }
}

/** `client.apply.completions`: merge an update snippet into original code. */
export class Apply {
  readonly completions: TaggedPromptCompletions;

  constructor(transport: Transport) {
    this.completions = new TaggedPromptCompletions(transport, "/apply/completions");
  }
}
