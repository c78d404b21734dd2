// The families the engine runs, by name: one specification each (family-spec.ts says what one holds).
import { DREAM } from "./dream";
import type { Family, FamilySpec } from "./family-spec";
import { LLADA } from "./llada";

export const FAMILY_SPECS: Record<Family, FamilySpec> = { llada: LLADA, dream: DREAM };

export { countParameters, engineWeights, weightShape } from "./engine-weights";
export { type Family, type FamilySpec, type SpecialIds, tensorName } from "./family-spec";
