// The catalogue entry of a served model (`/v1/models`): every model serves every endpoint, and claims
// every feature it has — tool calls, JSON mode and structured outputs are decoded on a constrained
// canvas, well formed whatever the model, for every family but Fast-dLLM v2, whose sub-block decoding
// has no layout yet — with effort levels, endpoints and features from the schema package.
import {
  type Model,
  ModelEndpointSchema,
  ModelFeatureSchema,
  type ModelList,
  ReasoningEffortSchema,
} from "@anneal/sdk/schema";
import { laysOutStructuredOutput } from "../../checkpoint/architecture";
import type { ServedModel } from "../served-model";

export function modelObject(served: ServedModel, maxTokens: number): Model {
  const { variant, architecture } = served.checkpoint;
  return {
    id: served.id,
    object: "model",
    created: served.created,
    owned_by: "anneal",
    name: served.id,
    description: `${variant.name} diffusion model (${architecture.family} architecture) served by Anneal`,
    input_modalities: ["text"],
    output_modalities: ["text"],
    context_length: served.contextLength,
    max_output_length: Math.min(maxTokens, served.contextLength),
    supported_features: laysOutStructuredOutput(architecture) ? [...ModelFeatureSchema.options] : [],
    supported_sampling_parameters: ["temperature", "top_p", "top_k", "seed", "stop"],
    reasoning_efforts: [...ReasoningEffortSchema.options],
    endpoints: [...ModelEndpointSchema.options],
    pricing: { prompt: "0", completion: "0", input_cache_reads: "0", input_cache_writes: "0" },
  } satisfies Model;
}

export function modelList(models: readonly ServedModel[], maxTokens: number): ModelList {
  return { object: "list", data: models.map((served) => modelObject(served, maxTokens)) } satisfies ModelList;
}
