// What /v1/models may promise for a model: only what will work for it. A JSON Schema answer is laid
// out on the canvas, valid by construction for any model, so every model claims `structured_outputs`.
// Tool calls and `json_object` answers are parsed out of free text (validated, retried), which only
// instruction-following models pass; below a billion parameters (the built-in 11M model) a model
// almost never does, so it does not claim them.
import type { ModelFeature } from "@anneal/sdk/schema";

/** Parameters from which a chat model is taken to follow tool and JSON instructions. */
export const INSTRUCTION_FOLLOWING_PARAMETERS = 1e9;

export function supportedFeatures(model: { parameters: number; hasChatTemplate: boolean }): ModelFeature[] {
  return model.hasChatTemplate && model.parameters >= INSTRUCTION_FOLLOWING_PARAMETERS
    ? ["tools", "json_mode", "structured_outputs"]
    : ["structured_outputs"];
}
