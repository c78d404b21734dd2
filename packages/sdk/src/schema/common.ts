// Wire pieces shared by every endpoint: sampling fields, stop sequences, stream options, usage.
import { z } from "zod";

/** Up to four stop sequences; a single string is accepted as OpenAI clients send it. */
export const StopSchema = z.union([z.string(), z.array(z.string()).max(4, "at most 4 stop sequences")]);

export const StreamOptionsSchema = z.object({
  include_usage: z.boolean().optional(),
});

/**
 * Sampling and length fields common to all completion endpoints. Ranges are the wider OpenAI
 * ones; a server narrows them per model (e.g. mercury-2 accepts temperature 0.5–1.0).
 */
export const SamplingFields = {
  max_tokens: z.int().min(1).optional(),
  max_completion_tokens: z.int().min(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.int().min(-1).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  repetition_penalty: z.number().positive().optional(),
  seed: z.int().optional(),
  stop: StopSchema.nullish(),
  stream: z.boolean().nullish(),
  stream_options: StreamOptionsSchema.nullish(),
  user: z.string().optional(),
};

/** Token counts. Mercury sends flat `reasoning_tokens` / `cached_input_tokens`; OpenAI nests them. */
export const UsageSchema = z.object({
  prompt_tokens: z.int().min(0),
  completion_tokens: z.int().min(0),
  total_tokens: z.int().min(0),
  reasoning_tokens: z.int().min(0).optional(),
  cached_input_tokens: z.int().min(0).optional(),
  prompt_tokens_details: z.object({ cached_tokens: z.int().min(0).optional() }).nullish(),
  completion_tokens_details: z.object({ reasoning_tokens: z.int().min(0).optional() }).nullish(),
});

export const FinishReasonSchema = z.enum(["stop", "length", "tool_calls", "content_filter"]);

export type Stop = z.infer<typeof StopSchema>;
export type StreamOptions = z.infer<typeof StreamOptionsSchema>;
export type Usage = z.infer<typeof UsageSchema>;
export type FinishReason = z.infer<typeof FinishReasonSchema>;
