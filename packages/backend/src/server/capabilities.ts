// What /v1/models may promise for a model: only what will work for it. JSON answers are decoded on a
// constrained canvas (a schema's layout, or the JSON grammar), valid by construction for any model, so
// every model claims `json_mode` and `structured_outputs`. Tool calls are laid out only when the request
// requires one function; otherwise they are parsed out of free text, which only instruction-following
// models manage: below a billion parameters (the built-in 11M model) a model does not claim `tools`.
import type { ModelFeature } from "@anneal/sdk/schema";

/** Parameters from which a chat model is taken to follow tool and JSON instructions. */
export const INSTRUCTION_FOLLOWING_PARAMETERS = 1e9;

export function supportedFeatures(model: { parameters: number; hasChatTemplate: boolean }): ModelFeature[] {
  return model.hasChatTemplate && model.parameters >= INSTRUCTION_FOLLOWING_PARAMETERS
    ? ["tools", "json_mode", "structured_outputs"]
    : ["json_mode", "structured_outputs"];
}
