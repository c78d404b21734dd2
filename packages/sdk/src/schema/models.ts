// The model catalogue (`GET /models` and the per-endpoint lists).
import { z } from "zod";
import { ReasoningEffortSchema } from "./chat";

/** Prices are USD per token as numeric strings, as OpenRouter-style catalogues send them. */
export const ModelPricingSchema = z.object({
  prompt: z.string(),
  completion: z.string(),
  input_cache_reads: z.string().optional(),
  input_cache_writes: z.string().optional(),
});

/** The capabilities a catalogue entry may claim. */
export const ModelFeatureSchema = z.enum(["tools", "json_mode", "structured_outputs"]);

/** The endpoint families a model may serve (`apply` is an Anneal endpoint). */
export const ModelEndpointSchema = z.enum(["chat", "fim", "edit", "apply"]);

export const ModelSchema = z.object({
  id: z.string(),
  object: z.literal("model").optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  created: z.number().optional(),
  owned_by: z.string().optional(),
  input_modalities: z.array(z.string()).optional(),
  output_modalities: z.array(z.string()).optional(),
  context_length: z.int().optional(),
  max_output_length: z.int().optional(),
  /** `tools`, `json_mode`, `structured_outputs` (open: a newer API may add some). */
  supported_features: z.array(z.string()).optional(),
  supported_sampling_parameters: z.array(z.string()).optional(),
  reasoning_efforts: z.array(ReasoningEffortSchema).optional(),
  /** Endpoints that serve this model, e.g. `chat`, `fim`, `edit`, `apply`. */
  endpoints: z.array(z.string()).optional(),
  pricing: ModelPricingSchema.optional(),
  /** Where Inception serves the model. */
  datacenters: z.array(z.string()).optional(),
  /** The model's name on OpenRouter. */
  openrouter: z.object({ slug: z.string() }).optional(),
});

export const ModelListSchema = z.object({
  object: z.literal("list").optional(),
  data: z.array(ModelSchema),
});

export type ModelFeature = z.infer<typeof ModelFeatureSchema>;
export type ModelEndpoint = z.infer<typeof ModelEndpointSchema>;
export type ModelPricing = z.infer<typeof ModelPricingSchema>;
export type Model = z.infer<typeof ModelSchema>;
export type ModelList = z.infer<typeof ModelListSchema>;
