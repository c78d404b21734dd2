// The model a config.json describes: its family (recognised by the families' specifications in
// ../model-spec), shape, special ids, whether logits are shifted, and the checkpoint name of every
// weight the engine needs. (GGUF files describe the same through their metadata: gguf-architecture.ts.)
import { CheckpointError } from "../errors";
import { engineWeights, FAMILY_SPECS, type Family, type FamilySpec, tensorName } from "../model-spec";
import type { Config } from "../model-spec/config-values";
import type { ModelShape } from "../native";

export { believable, LIMITS } from "../model-spec/config-values";
export type { Family };

export interface Architecture {
  family: Family;
  shape: ModelShape;
  maskId: number;
  /** Token ids that end an answer (EOS, end-of-turn). */
  stopIds: number[];
  padId: number | undefined;
  /** Dream-style models predict token i from the logits at i − 1. */
  shiftLogits: boolean;
  /** Block diffusion (SDAR): attention is block-causal over blocks of this many tokens. Absent or 0: bidirectional. */
  blockSize?: number;
  /** Fast-dLLM v2: each block is decoded a sub-block of this many tokens at a time. */
  subBlockSize?: number;
  contextLength: number;
  /** Engine weight key → checkpoint tensor name; optional entries may be absent. */
  tensorNames: Map<string, TensorSource>;
}

/** Where an engine weight is in a checkpoint: a whole tensor, or a range of a fused tensor's rows. */
export interface TensorSource {
  name: string;
  optional?: boolean;
  /** Rows [begin, end) of a tensor of `of` rows (LLaDA2's query_key_value holds q, k and v). */
  rows?: { begin: number; end: number; of: number };
}

export function readArchitecture(config: Config, file: string): Architecture {
  const spec = recognise(config, file);
  const { shape, contextLength, blockSize, subBlockSize } = spec.readConfig(config, file);
  const tokens = specialTokens(config, spec.ids);
  // The family's end-of-turn ids end answers too, where the vocabulary has them.
  const turnEnds = (spec.turnEndIds ?? []).filter((id) => id < shape.vocab && !tokens.stopIds.includes(id));
  const architecture: Architecture = {
    family: spec.family,
    shape,
    ...tokens,
    stopIds: [...tokens.stopIds, ...turnEnds],
    shiftLogits: spec.shiftLogits,
    ...(spec.blockSize !== undefined ? { blockSize: blockSize ?? spec.blockSize } : {}),
    ...(subBlockSize ? { subBlockSize } : {}),
    contextLength,
    tensorNames: checkpointTensorNames(spec, shape),
  };
  checkSpecialIds(architecture, file);
  return architecture;
}

/** `architectures` decides when the config names any; `model_type` only when it names none. */
function recognise(config: Config, file: string): FamilySpec {
  const architectures = Array.isArray(config.architectures) ? (config.architectures as string[]) : [];
  const modelType = architectures.length === 0 ? String(config.model_type ?? "").toLowerCase() : "";
  const specs = Object.values(FAMILY_SPECS);
  const named = specs.find((s) => s.architectures.some((name) => architectures.includes(name)));
  // By model_type: a family that shares it with another is recognised by its own key first.
  const typed = specs
    .filter((s) => s.modelType === modelType && (!s.modelTypeNeeds || s.modelTypeNeeds in config))
    .sort((a, b) => Number(!a.modelTypeNeeds) - Number(!b.modelTypeNeeds));
  const spec = named ?? typed[0];
  if (spec) return spec;
  throw new CheckpointError(
    file,
    `unsupported architecture ${JSON.stringify(architectures[0] ?? config.model_type ?? "(none)")}; supported: ${specs.flatMap((s) => s.architectures).join(", ")}`,
  );
}

/**
 * Engine weight key → where it is in a checkpoint of `spec`'s family and this shape. Keys that name
 * the same tensor are consecutive row ranges of it, in the engine's key order — but for a layer's
 * experts, which GGUF files stack along a dimension of their own (gguf-checkpoint.ts reads them).
 */
export function checkpointTensorNames(
  spec: Pick<FamilySpec, "tensors">,
  shape: ModelShape,
): Architecture["tensorNames"] {
  const weights = engineWeights(shape);
  const keysOf = new Map<string, string[]>();
  for (const key of weights.keys()) {
    const name = tensorName(spec, key);
    keysOf.set(name, [...(keysOf.get(name) ?? []), key]);
  }
  const sources: Architecture["tensorNames"] = new Map();
  for (const [name, keys] of keysOf) {
    if (keys.length === 1 || keys[0]?.includes(".experts.")) {
      for (const key of keys) sources.set(key, { name });
      continue;
    }
    const heights = keys.map((key) => (weights.get(key) as number[])[0] as number);
    const of = heights.reduce((a, b) => a + b, 0);
    let begin = 0;
    keys.forEach((key, i) => {
      const end = begin + (heights[i] as number);
      sources.set(key, { name, rows: { begin, end, of } });
      begin = end;
    });
  }
  // In the engine's key order, whatever order the names came in.
  return new Map([...weights.keys()].map((key) => [key, sources.get(key) as TensorSource]));
}

/**
 * Whether structured output and tool calls can be laid out on this model's canvas: every decoding
 * but Fast-dLLM v2's sub-blocks, which read a token autoregressively between blocks.
 */
export function laysOutStructuredOutput(architecture: Pick<Architecture, "subBlockSize">): boolean {
  return !architecture.subBlockSize;
}

/** Every special id must name a token of the vocabulary, or every request would fail later. */
export function checkSpecialIds(architecture: Architecture, file: string): void {
  const { vocab } = architecture.shape;
  const named: [string, number | undefined][] = [
    ["mask_token_id", architecture.maskId],
    ["pad_token_id", architecture.padId],
    ...architecture.stopIds.map((id): [string, number] => ["eos_token_id", id]),
  ];
  for (const [key, id] of named) {
    if (id === undefined) continue;
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new CheckpointError(file, `${key} ${id} is outside the vocabulary of ${vocab} tokens`);
    }
  }
}

function ids(value: unknown): number[] {
  if (typeof value === "number") return [value];
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === "number") : [];
}

/** Mask, stop and pad ids from config.json, with the family's published ids where a config omits them. */
function specialTokens(
  config: Config,
  defaults: { mask: number; eos: number },
): Pick<Architecture, "maskId" | "stopIds" | "padId"> {
  return {
    maskId: typeof config.mask_token_id === "number" ? config.mask_token_id : defaults.mask,
    stopIds: ids(config.eos_token_id ?? defaults.eos),
    padId: typeof config.pad_token_id === "number" ? config.pad_token_id : undefined,
  };
}
