// GET /v1/models and the per-endpoint catalogues; every model here serves every endpoint, and claims
// only the features that work for it.
import type { FastifyInstance } from "fastify";
import { supportedFeatures } from "../capabilities";
import type { ModelRegistry } from "../model-registry";
import type { ServedModel } from "../served-model";

function describe(served: ServedModel, maxTokens: number) {
  return {
    id: served.id,
    object: "model",
    created: served.created,
    owned_by: "anneal",
    name: served.id,
    description: `${served.checkpoint.variant.name} diffusion model (${served.checkpoint.architecture.family} architecture) served by Anneal`,
    input_modalities: ["text"],
    output_modalities: ["text"],
    context_length: served.contextLength,
    max_output_length: Math.min(maxTokens, served.contextLength),
    supported_features: supportedFeatures({
      parameters: served.checkpoint.model.info().parameters,
      hasChatTemplate: served.checkpoint.chatTemplate !== undefined,
    }),
    supported_sampling_parameters: ["temperature", "top_p", "top_k", "seed", "stop"],
    reasoning_efforts: ["instant", "low", "medium", "high"],
    endpoints: ["chat", "fim", "edit", "apply"],
    pricing: { prompt: "0", completion: "0", input_cache_reads: "0", input_cache_writes: "0" },
  };
}

export function modelRoutes(app: FastifyInstance, registry: ModelRegistry, maxTokens: number) {
  const list = async () => ({ object: "list", data: registry.models.map((m) => describe(m, maxTokens)) });
  for (const path of [
    "/v1/models",
    "/v1/chat/completions/models",
    "/v1/fim/completions/models",
    "/v1/edit/completions/models",
    "/v1/apply/completions/models",
  ]) {
    app.get(path, list);
  }
  app.get("/v1/models/:id", async (request) =>
    describe(registry.get((request.params as { id: string }).id), maxTokens),
  );
}
