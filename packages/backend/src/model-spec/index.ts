// The families the engine runs, by name: one specification each (family-spec.ts says what one holds).
import { DREAM } from "./dream";
import type { Family, FamilySpec } from "./family-spec";
import { FAST_DLLM_V2 } from "./fast-dllm-v2";
import { LLADA } from "./llada";
import { LLADA_MOE } from "./llada-moe";
import { LLADA2 } from "./llada2";
import { SDAR } from "./sdar";

export const FAMILY_SPECS: Record<Family, FamilySpec> = {
  llada: LLADA,
  dream: DREAM,
  "llada-moe": LLADA_MOE,
  sdar: SDAR,
  "fast-dllm-v2": FAST_DLLM_V2,
  llada2: LLADA2,
};

export { countParameters, engineWeights, isMoeLayer, weightShape } from "./engine-weights";
export { type Family, type FamilySpec, type SpecialIds, tensorName } from "./family-spec";
export { MODEL_VARIANTS, type ModelVariant, modelVariant, type PublishedDecoding } from "./variants";
