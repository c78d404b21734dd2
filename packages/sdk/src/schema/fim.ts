// Fill-in-the-middle completions (`POST /fim/completions`, legacy alias `/completions`).
import { z } from "zod";
import { FinishReasonSchema, SamplingFields, UsageSchema } from "./common";

/** Where a FIM answer stops unless the request says otherwise: a blank line (Inception's default). */
export const FIM_DEFAULT_STOP = ["\n\n", "\n \n"];

const { temperature: _noTemperature, ...fimSampling } = SamplingFields;

/** FIM takes no `temperature` (Inception's API, July 2026); `stop` defaults to `FIM_DEFAULT_STOP`. */
export const FimCompletionCreateParamsSchema = z.object({
  model: z.string().min(1),
  /** Text before the cursor. */
  prompt: z.string(),
  /** Text after the cursor. */
  suffix: z.string().nullish(),
  /**
   * Anneal extension: `json_object` keeps `prompt` + infill + `suffix` one JSON document — the gap must
   * be where a value or an object's member goes, or inside a string; the infill is decoded under the
   * JSON grammar.
   */
  response_format: z
    .discriminatedUnion("type", [z.object({ type: z.literal("text") }), z.object({ type: z.literal("json_object") })])
    .optional(),
  ...fimSampling,
});

const FimChoiceSchema = z.object({
  index: z.int().min(0),
  text: z.string(),
  finish_reason: FinishReasonSchema.nullable(),
  logprobs: z.unknown().optional(),
});

export const FimCompletionSchema = z.object({
  id: z.string(),
  object: z.literal("text_completion"),
  created: z.number(),
  model: z.string(),
  choices: z.array(FimChoiceSchema),
  usage: UsageSchema.optional(),
  warning: z.string().nullish(),
});

/** A streamed FIM chunk: `choices[].text` is appended. */
export const FimCompletionChunkSchema = z.object({
  id: z.string(),
  object: z.literal("text_completion").optional(),
  created: z.number().optional(),
  model: z.string().optional(),
  choices: z.array(FimChoiceSchema),
  usage: UsageSchema.nullish(),
  warning: z.string().nullish(),
});

export type FimCompletionCreateParams = z.input<typeof FimCompletionCreateParamsSchema>;
export type FimCompletion = z.infer<typeof FimCompletionSchema>;
export type FimCompletionChunk = z.infer<typeof FimCompletionChunkSchema>;
