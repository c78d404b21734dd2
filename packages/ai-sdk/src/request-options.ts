// The per-call options every model passes to the client: the caller's abort signal and headers.
import type { LanguageModelV3CallOptions } from "@ai-sdk/provider";
import type { RequestOptions } from "@anneal/sdk";

export function requestOptions(options: LanguageModelV3CallOptions): RequestOptions {
  return {
    ...(options.abortSignal ? { signal: options.abortSignal } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  };
}
