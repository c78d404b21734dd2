// The decoding a model is served with by default: its variant's published settings, overridden by
// what its generation_config.json says (temperature, top_p, top_k, do_sample, and the diffusion keys
// LLaDA's and Dream's generate code read: `remasking`, `alg`, `alg_temp`). A request's own settings
// win over both. A key of the wrong type or an unknown order is a CheckpointError naming it.
import type { SamplerName } from "../engine/sampler";
import { CheckpointError } from "../errors";
import type { PublishedDecoding } from "./variants";

/** LLaDA's `remasking` and Dream's `alg` name the order tokens are committed in. */
const ORDERS: Record<string, SamplerName> = {
  low_confidence: "low_confidence",
  random: "random",
  origin: "origin",
  maskgit_plus: "maskgit_plus",
  topk_margin: "topk_margin",
  entropy: "entropy",
};

export function servedDecoding(
  published: PublishedDecoding,
  generationConfig: Record<string, unknown>,
  file: string,
): PublishedDecoding {
  const number = (key: string, ok: (value: number) => boolean): number | undefined => {
    const value = generationConfig[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) {
      throw new CheckpointError(file, `${key} ${JSON.stringify(value)} is not a valid ${key}`);
    }
    return value;
  };
  const decoding: PublishedDecoding = { ...published };
  const temperature = number("temperature", (v) => v >= 0);
  if (temperature !== undefined) decoding.temperature = temperature;
  const topP = number("top_p", (v) => v > 0 && v <= 1);
  if (topP !== undefined) decoding.topP = topP;
  const topK = number("top_k", (v) => Number.isInteger(v) && v >= 0);
  if (topK !== undefined) decoding.topK = topK;
  const positionTemperature = number("alg_temp", (v) => v >= 0);
  if (positionTemperature !== undefined) decoding.positionTemperature = positionTemperature;
  // HF's do_sample: false means greedy, whatever the temperature says.
  if (generationConfig.do_sample === false) decoding.temperature = 0;
  for (const key of ["remasking", "alg"]) {
    const order = generationConfig[key];
    if (order === undefined || order === null) continue;
    const sampler = typeof order === "string" && Object.hasOwn(ORDERS, order) ? ORDERS[order] : undefined;
    if (!sampler) {
      throw new CheckpointError(
        file,
        `${key} ${JSON.stringify(order)}: expected one of ${Object.keys(ORDERS).join(", ")}`,
      );
    }
    decoding.sampler = sampler;
  }
  return decoding;
}
