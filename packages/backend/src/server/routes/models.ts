// GET /v1/models, one model by id, and the per-endpoint catalogues (every model serves every endpoint).
import type { FastifyInstance } from "fastify";
import type { ModelRegistry } from "../model-registry";
import { modelList, modelObject } from "../responses/model-object";

export function modelRoutes(app: FastifyInstance, registry: ModelRegistry, maxTokens: number) {
  const list = async () => modelList(registry.models, maxTokens);
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
    modelObject(registry.get((request.params as { id: string }).id), maxTokens),
  );
}
