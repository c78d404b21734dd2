// Chat completions (`POST /chat/completions`): request, response and stream chunk, with Mercury's extensions.
import { z } from "zod";
import { FinishReasonSchema, SamplingFields, UsageSchema } from "./common";

const TextPartSchema = z.object({ type: z.literal("text"), text: z.string() });

/** Message text: a string, or OpenAI-style text parts (Mercury is text-only). */
export const MessageContentSchema = z.union([z.string(), z.array(TextPartSchema)]);

export const ToolCallSchema = z.object({
  id: z.string(),
  type: z.literal("function"),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

export const ChatMessageSchema = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content: MessageContentSchema, name: z.string().optional() }),
  z.object({ role: z.literal("user"), content: MessageContentSchema, name: z.string().optional() }),
  z.object({
    role: z.literal("assistant"),
    content: MessageContentSchema.nullish(),
    name: z.string().optional(),
    tool_calls: z.array(ToolCallSchema).optional(),
  }),
  z.object({ role: z.literal("tool"), content: MessageContentSchema, tool_call_id: z.string() }),
  /** The legacy form of a tool result (OpenAI's `function_call` era), still in Inception's schema. */
  z.object({ role: z.literal("function"), name: z.string().min(1), content: MessageContentSchema.nullable() }),
]);

export const ToolSchema = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** A JSON Schema object describing the arguments. */
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

/** `none`, `auto`, `required` (Inception's API); the named-function form is OpenAI's and our server takes it too. */
export const ToolChoiceSchema = z.union([
  z.enum(["auto", "required", "none"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
]);

export const ResponseFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().min(1),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

/** Mercury's reasoning budget; `instant` is the near-real-time mode. */
export const ReasoningEffortSchema = z.enum(["instant", "low", "medium", "high"]);

/**
 * Anneal extension: the answer's canvas at one denoising step, on each chunk of a `diffusing` stream
 * that asked for `canvas: true` — one entry per answer position, up to the first committed end token.
 */
export const CanvasFrameSchema = z.object({
  /** Each position's text: its committed token, or the model's current guess where still masked. */
  pieces: z.array(z.string()),
  /** Which positions are still masked (their piece is only a guess). */
  masked: z.array(z.boolean()),
  /** The model's probability of each piece (0–1, 3 decimals); null where it never weighed in. */
  confidence: z.array(z.number().min(0).max(1).nullable()),
});

export const ChatCompletionCreateParamsSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(ChatMessageSchema).min(1),
    ...SamplingFields,
    n: z.int().min(1).optional(),
    reasoning_effort: ReasoningEffortSchema.optional(),
    reasoning_summary: z.boolean().optional(),
    reasoning_summary_wait: z.boolean().optional(),
    realtime: z.boolean().optional(),
    /** Stream whole drafts that replace each other (requires `stream: true`). */
    diffusing: z.boolean().optional(),
    /** Anneal extension: with `diffusing`, each chunk also carries the canvas (`CanvasFrameSchema`). */
    canvas: z.boolean().optional(),
    tools: z.array(ToolSchema).optional(),
    tool_choice: ToolChoiceSchema.optional(),
    parallel_tool_calls: z.boolean().optional(),
    response_format: ResponseFormatSchema.optional(),
    /** Passed through to the serving engine by Inception's API; Anneal's server ignores it. */
    extra_body: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((params) => !params.diffusing || params.stream === true, {
    message: "diffusing requires stream: true",
    path: ["diffusing"],
  })
  .refine((params) => !params.canvas || params.diffusing === true, {
    message: "canvas requires diffusing: true",
    path: ["canvas"],
  });

/** Mercury's summary of hidden reasoning; `status` is `complete`, `unavailable` or `skipped`. */
export const ReasoningSummarySchema = z.object({
  content: z.string().nullish(),
  status: z.string(),
});

export const ChatCompletionMessageSchema = z.object({
  role: z.literal("assistant"),
  content: z.string().nullable(),
  tool_calls: z.array(ToolCallSchema).optional(),
  reasoning_content: z.string().nullish(),
});

export const ChatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal("chat.completion"),
  created: z.number(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.int().min(0),
      message: ChatCompletionMessageSchema,
      finish_reason: FinishReasonSchema.nullable(),
      logprobs: z.unknown().optional(),
    }),
  ),
  usage: UsageSchema.optional(),
  reasoning_summary: ReasoningSummarySchema.nullish(),
  warning: z.string().nullish(),
  system_fingerprint: z.string().nullish(),
});

export const ToolCallDeltaSchema = z.object({
  index: z.int().min(0),
  id: z.string().optional(),
  type: z.literal("function").optional(),
  function: z.object({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
});

export const ChatCompletionChunkSchema = z.object({
  id: z.string(),
  object: z.literal("chat.completion.chunk"),
  created: z.number().optional(),
  model: z.string().optional(),
  choices: z.array(
    z.object({
      index: z.int().min(0),
      /** Appended to the answer; with `diffusing`, `content` is the whole draft and replaces it. */
      delta: z.object({
        role: z.literal("assistant").optional(),
        content: z.string().nullish(),
        tool_calls: z.array(ToolCallDeltaSchema).optional(),
        reasoning_content: z.string().nullish(),
      }),
      finish_reason: FinishReasonSchema.nullable(),
    }),
  ),
  usage: UsageSchema.nullish(),
  /** Streamed summaries arrive on the chunk itself, after the answer. */
  /** Arrives on the final chunk, when the request asked for `reasoning_summary`. */
  reasoning_summary: ReasoningSummarySchema.nullish(),
  warning: z.string().nullish(),
  /** Anneal extension: the canvas this draft was read from (a `canvas: true` diffusing stream). */
  canvas: CanvasFrameSchema.optional(),
});

export type MessageContent = z.infer<typeof MessageContentSchema>;
export type ChatMessage = z.infer<typeof ChatMessageSchema>;
export type ToolCall = z.infer<typeof ToolCallSchema>;
export type Tool = z.infer<typeof ToolSchema>;
export type ToolChoice = z.infer<typeof ToolChoiceSchema>;
export type ResponseFormat = z.infer<typeof ResponseFormatSchema>;
export type ReasoningEffort = z.infer<typeof ReasoningEffortSchema>;
export type ChatCompletionCreateParams = z.input<typeof ChatCompletionCreateParamsSchema>;
export type ReasoningSummary = z.infer<typeof ReasoningSummarySchema>;
export type ChatCompletionMessage = z.infer<typeof ChatCompletionMessageSchema>;
export type ChatCompletion = z.infer<typeof ChatCompletionSchema>;
export type ToolCallDelta = z.infer<typeof ToolCallDeltaSchema>;
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunkSchema>;
export type CanvasFrame = z.infer<typeof CanvasFrameSchema>;
