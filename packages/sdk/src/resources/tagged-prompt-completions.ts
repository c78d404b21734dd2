// Next edit (`/edit/completions`) and apply edit (`/apply/completions`): one tagged user message in,
// a completion out. Build the message with `buildNextEditPrompt` / `buildApplyEditPrompt`.
import type { ChatCompletion, ChatCompletionChunk } from "../schema/chat";
import type { EditCompletion, EditCompletionCreateParams, TaggedPromptParams } from "../schema/tagged-prompt";
import { ChatCompletionAccumulator } from "../streaming/chat-accumulator";
import type { ChatCompletionStream } from "../streaming/completion-stream";
import type { APIPromise } from "../transport/api-promise";
import type { RequestOptions } from "../transport/request-options";
import type { Transport } from "../transport/transport";
import { withUsageByDefault } from "./stream-body";

export type TaggedPromptParamsStreaming = TaggedPromptParams & { stream: true };
export type TaggedPromptParamsNonStreaming = TaggedPromptParams & { stream?: false | null };

export class ApplyCompletions {
  readonly path = "/apply/completions";

  constructor(private readonly transport: Transport) {}

  /** Non-streaming or streamed (append deltas); apply edit is an Anneal endpoint, not in Inception's API. */
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

export class EditCompletions {
  constructor(private readonly transport: Transport) {}

  /** Predicts the next edit; never streamed ("streaming and tool calling are not supported on this endpoint"). */
  create(params: EditCompletionCreateParams, options?: RequestOptions): APIPromise<EditCompletion> {
    return this.transport.request<EditCompletion>("post", "/edit/completions", params, options);
  }
}

/** `client.edit.completions`: next-edit prediction. */
export class Edit {
  readonly completions: EditCompletions;

  constructor(transport: Transport) {
    this.completions = new EditCompletions(transport);
  }
}

/** `client.apply.completions`: merge an update snippet into original code. */
export class Apply {
  readonly completions: ApplyCompletions;

  constructor(transport: Transport) {
    this.completions = new ApplyCompletions(transport);
  }
}
