// Wire pieces shared by every endpoint: sampling fields, stop sequences, stream options, usage.
import { z } from "zod";

/** Up to four stop sequences; a single string is accepted as OpenAI clients send it. */
export const StopSchema = z.union([z.string(), z.array(z.string()).max(4, "at most 4 stop sequences")]);

export const StreamOptionsSchema = z.object({
  include_usage: z.boolean().optional(),
});

/**
 * Sampling and length fields common to all completion endpoints. Ranges are the wider OpenAI
 * ones; a server narrows them per model (e.g. mercury-2 accepts temperature 0.5–1.0). FIM has no
 * `temperature` and edit no `stream` in Inception's API (July 2026): their schemas leave them out.
 */
export const SamplingFields = {
  max_tokens: z.int().min(1).optional(),
  max_completion_tokens: z.int().min(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.int().min(-1).max(1000).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  repetition_penalty: z.number().positive().optional(),
  seed: z.int().optional(),
  stop: StopSchema.nullish(),
  stream: z.boolean().nullish(),
  stream_options: StreamOptionsSchema.nullish(),
  user: z.string().optional(),
  /**
   * Anneal extension: keep decoding the whole canvas after the end-of-sequence token, as vLLM's
   * `ignore_eos` does (benchmarks and load tests). Other servers ignore it.
   */
  ignore_eos: z.boolean().optional(),
};

/**
 * Token counts. Mercury sends flat `reasoning_tokens` / `cached_input_tokens` on chat, FIM and edit;
 * OpenAI-style servers nest them in `*_details`, which Anneal's server also sends for those clients.
 */
export const UsageSchema = z.object({
  prompt_tokens: z.int().min(0),
  completion_tokens: z.int().min(0),
  total_tokens: z.int().min(0),
  reasoning_tokens: z.int().min(0),
  cached_input_tokens: z.int().min(0),
  prompt_tokens_details: z.object({ cached_tokens: z.int().min(0).optional() }).nullish(),
  completion_tokens_details: z.object({ reasoning_tokens: z.int().min(0).optional() }).nullish(),
  /** Anneal extension: forward passes of the model the answer took (a diffusion decode's cost). */
  forward_passes: z.int().min(0).optional(),
  /** Anneal extension: answer tokens per forward pass, rounded to 3 decimals (how parallel the decode was). */
  tokens_per_forward: z.number().min(0).optional(),
});

export const FinishReasonSchema = z.enum(["stop", "length", "tool_calls", "content_filter"]);

export type Stop = z.infer<typeof StopSchema>;
export type StreamOptions = z.infer<typeof StreamOptionsSchema>;
export type Usage = z.infer<typeof UsageSchema>;
export type FinishReason = z.infer<typeof FinishReasonSchema>;
