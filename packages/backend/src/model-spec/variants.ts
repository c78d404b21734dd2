// The published models of each family, recognised by name, with the decoding their authors publish
// (the sampler their demos use at one token per step, temperature, nucleus, extra stop tokens).
// A model none of these names falls back to its family's first entry. generation_config.json, when
// it says, wins over these (decoding-defaults.ts), and a request's own settings win over both.
import type { SamplerName } from "../engine/sampler";
import type { Family } from "./family-spec";

export interface PublishedDecoding {
  /** The order tokens are committed in at one per step (the server's "high" effort). */
  sampler: SamplerName;
  temperature: number;
  topP?: number;
  topK?: number;
  /** Dream's `alg_temp`: positions drawn from softmax(score / it) instead of the top ones. */
  positionTemperature?: number;
  /** Tokens (by their text) that end an answer besides the model's EOS. */
  stopTokens?: string[];
  /** threshold_quota's probability: positions above it are committed beyond the step's quota. */
  threshold?: number;
}

export interface ModelVariant {
  /** As people call it: "LLaDA-1.5", "DiffuCoder". */
  name: string;
  family: Family;
  /** Matched against the folder path or the Hub id (a Hub cache folder holds the repo's name). */
  pattern: RegExp;
  /** Or recognised by a token only its tokenizer has. */
  marker?: string;
  decoding: PublishedDecoding;
  /** Where the decoding comes from. */
  source: string;
}

/** Most specific first: the first whose family and pattern match is the model's. */
export const MODEL_VARIANTS: ModelVariant[] = [
  {
    name: "LLaDA-1.5",
    family: "llada",
    pattern: /llada-1\.5/i,
    decoding: { sampler: "low_confidence", temperature: 0 },
    source: "LLaDA-1.5 README: LLaDA's generate.py (temperature 0, low-confidence remasking)",
  },
  {
    name: "LLaDA",
    family: "llada",
    pattern: /./,
    decoding: { sampler: "low_confidence", temperature: 0 },
    source: "LLaDA generate.py defaults (temperature 0, remasking low_confidence)",
  },
  {
    name: "LLaDA-MoE",
    family: "llada-moe",
    pattern: /./,
    decoding: { sampler: "low_confidence", temperature: 0 },
    source: "LLaDA-MoE-7B-A1B model card (LLaDA's generate: temperature 0, low_confidence)",
  },
  {
    name: "DiffuCoder-Base",
    family: "dream",
    pattern: /diffucoder[^/]*base/i,
    decoding: { sampler: "entropy", temperature: 0.2, topP: 0.95 },
    source: "apple/ml-diffucoder README, base model usage (temperature 0.2, top_p 0.95, alg entropy)",
  },
  {
    name: "DiffuCoder",
    family: "dream",
    pattern: /diffucoder/i,
    marker: "<|dlm_pad|>",
    decoding: { sampler: "entropy", temperature: 0.4, topP: 0.95, stopTokens: ["<|dlm_pad|>"] },
    source:
      "apple/ml-diffucoder README, instruct usage (temperature 0.4, top_p 0.95, alg entropy; output cut at <|dlm_pad|>)",
  },
  {
    name: "Dream-Coder",
    family: "dream",
    pattern: /dream-?coder/i,
    decoding: { sampler: "entropy", temperature: 0.1, topP: 0.95 },
    source: "DreamLM/Dream-Coder README quickstart (temperature 0.1, top_p 0.95, alg entropy)",
  },
  {
    name: "Dream",
    family: "dream",
    pattern: /./,
    decoding: { sampler: "entropy", temperature: 0.2, topP: 0.95 },
    source: "DreamLM/Dream README (temperature 0.2, top_p 0.95, alg entropy)",
  },
  {
    name: "Fast-dLLM v2",
    family: "fast-dllm-v2",
    pattern: /./,
    decoding: { sampler: "low_confidence", temperature: 0, topP: 0.95 },
    source:
      "NVlabs/Fast-dLLM v2 run_chatbot.py and its modeling.py generate (temperature 0, top_p 0.95; threshold 0.9 in sub-blocks of 8)",
  },
  {
    name: "LLaDA2.0",
    family: "llada2",
    pattern: /./,
    decoding: { sampler: "threshold_quota", temperature: 0, threshold: 0.95 },
    source:
      "inclusionAI/LLaDA2.0-mini modeling_llada2_moe.py generate defaults (temperature 0, block_length 32, steps 32, threshold 0.95)",
  },
  {
    name: "TraDo",
    family: "sdar",
    pattern: /trado/i,
    decoding: { sampler: "low_confidence", temperature: 1 },
    source: "Gen-Verse/dLLM-RL (TraDo, trained from SDAR): SDAR's block decoding, temperature 1",
  },
  {
    name: "SDAR",
    family: "sdar",
    pattern: /./,
    decoding: { sampler: "low_confidence", temperature: 1 },
    source:
      "JetAstra/SDAR generate.py defaults (temperature 1.0, top_k 0, top_p 1.0; low_confidence_static at one token per step)",
  },
];

/**
 * The variant of a `family` model found at `where` (its path, or the Hub id it was named by), whose
 * tokenizer `hasToken` answers for.
 */
export function modelVariant(family: Family, where: string, hasToken: (token: string) => boolean): ModelVariant {
  const variant = MODEL_VARIANTS.find(
    (v) => v.family === family && (v.pattern.test(where) || (v.marker !== undefined && hasToken(v.marker))),
  );
  if (!variant) throw new Error(`no variant of ${family}`); // every family has a catch-all entry
  return variant;
}
