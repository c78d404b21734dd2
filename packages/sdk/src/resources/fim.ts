// `client.fim.completions` ↔ `POST /fim/completions` (fill in the middle: `prompt` + `suffix`).
import type { FimCompletion, FimCompletionChunk, FimCompletionCreateParams } from "../schema/fim";
import type { FimCompletionStream } from "../streaming/completion-stream";
import { FimCompletionAccumulator } from "../streaming/fim-accumulator";
import type { APIPromise } from "../transport/api-promise";
import type { RequestOptions } from "../transport/request-options";
import type { Transport } from "../transport/transport";
import { withUsageByDefault } from "./stream-body";

export type FimCompletionCreateParamsStreaming = FimCompletionCreateParams & { stream: true };
export type FimCompletionCreateParamsNonStreaming = FimCompletionCreateParams & { stream?: false | null };

export class FimCompletions {
  constructor(private readonly transport: Transport) {}

  /** Completes the text between `prompt` and `suffix`; streamed `choices[].text` is appended. */
  create(params: FimCompletionCreateParamsStreaming, options?: RequestOptions): APIPromise<FimCompletionStream>;
  create(params: FimCompletionCreateParamsNonStreaming, options?: RequestOptions): APIPromise<FimCompletion>;
  create(params: FimCompletionCreateParams, options?: RequestOptions): APIPromise<FimCompletionStream | FimCompletion>;
  create(params: FimCompletionCreateParams, options?: RequestOptions): APIPromise<FimCompletionStream | FimCompletion> {
    if (params.stream) {
      return this.transport.stream<FimCompletionChunk, FimCompletion>(
        "/fim/completions",
        withUsageByDefault(params),
        new FimCompletionAccumulator(),
        options,
      );
    }
    return this.transport.request<FimCompletion>("post", "/fim/completions", params, options);
  }
}

export class Fim {
  readonly completions: FimCompletions;

  constructor(transport: Transport) {
    this.completions = new FimCompletions(transport);
  }
}
