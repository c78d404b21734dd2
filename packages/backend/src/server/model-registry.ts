// The models a server answers for, by id (plus aliases such as Mercury's model names), loaded once.
import { basename } from "node:path";
import { hubIdOf } from "../checkpoint/hub-cache";
import { type LoadOptions, loadCheckpoint } from "../checkpoint/load";
import { notFound } from "./http-error";
import type { ServerMetrics } from "./metrics";
import { type ServedModel, serveModel } from "./served-model";

export interface ModelSource {
  /** The id clients send; defaults to the folder's name (a GGUF file's, without .gguf; a Hub id as typed). */
  id?: string;
  dir: string;
}

/** Mercury's model names, answered by the first model so Mercury clients work unchanged. */
export const MERCURY_ALIASES = [
  "mercury-2",
  "mercury-2.5",
  "mercury",
  "mercury-coder",
  "mercury-coder-small",
  "mercury-edit",
  "mercury-edit-2",
];

export class ModelRegistry {
  readonly #models = new Map<string, ServedModel>();
  readonly #aliases = new Map<string, string>();
  #loaded = false;

  get loaded(): boolean {
    return this.#loaded;
  }

  get models(): ServedModel[] {
    return [...this.#models.values()];
  }

  async load(
    sources: ModelSource[],
    metrics: ServerMetrics,
    engine: Pick<LoadOptions, "threads" | "device" | "quantize" | "bf16" | "hub">,
  ): Promise<void> {
    for (const source of sources) {
      const id = source.id ?? defaultModelId(source.dir);
      if (this.#models.has(id)) throw new Error(`two models share the id ${id}; give one another id (id=DIR)`);
      const checkpoint = await loadCheckpoint(source.dir, engine);
      this.#models.set(
        id,
        serveModel(id, checkpoint, (sequences) => {
          metrics.forwardPasses.inc({ model: id });
          metrics.batchSize.observe({ model: id }, sequences);
        }),
      );
    }
    const first = this.models[0];
    if (first) for (const alias of MERCURY_ALIASES) if (!this.#models.has(alias)) this.#aliases.set(alias, first.id);
    this.#loaded = true;
  }

  get(id: string): ServedModel {
    const model = this.#models.get(id) ?? this.#models.get(this.#aliases.get(id) ?? "");
    if (!model)
      throw notFound(
        `The model "${id}" does not exist here. Available: ${[...this.#models.keys()].join(", ")}.`,
        "model_not_found",
      );
    return model;
  }
}

/** A model's id unless one is given: a Hub id as typed, else the folder's or GGUF file's name. */
function defaultModelId(path: string): string {
  return hubIdOf(path) ? path : basename(path, ".gguf");
}
