// `@anneal/sdk`: the Mercury client, its stream and error types, the edit-prompt helpers, and the wire types.
export { Mercury, Mercury as default } from "./client";
export type { Fetch, Logger, LogLevel, MercuryOptions } from "./client-options";
export {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  MalformedResponseError,
  MercuryError,
  NotFoundError,
  PaymentRequiredError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  StreamError,
  StreamIdleTimeoutError,
  UnprocessableEntityError,
} from "./errors";
export {
  type ApplyEditInput,
  type ApplyEditPrompt,
  buildApplyEditPrompt,
  EXISTING_CODE_MARKER,
  parseApplyEditReply,
} from "./helpers/apply-edit";
export {
  applyNextEdit,
  buildNextEditPrompt,
  type CodeSnippet,
  CURSOR_TAG,
  type CursorPosition,
  type LineRange,
  type NextEditInput,
  type NextEditPrompt,
  type NextEditSuggestion,
  parseNextEditReply,
} from "./helpers/next-edit";
export type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "./resources/chat";
export type { FimCompletionCreateParamsNonStreaming, FimCompletionCreateParamsStreaming } from "./resources/fim";
export type {
  TaggedPromptParamsNonStreaming,
  TaggedPromptParamsStreaming,
} from "./resources/tagged-prompt-completions";
export type * from "./schema/chat";
export type * from "./schema/common";
export type * from "./schema/error-body";
export type * from "./schema/fim";
export type * from "./schema/models";
export type * from "./schema/tagged-prompt";
export {
  type ChatCompletionStream,
  CompletionStream,
  type FimCompletionStream,
} from "./streaming/completion-stream";
export { APIPromise, type WithResponse } from "./transport/api-promise";
export type { RequestOptions } from "./transport/request-options";
export { isRetryable } from "./transport/retry-policy";
export { VERSION } from "./version";
