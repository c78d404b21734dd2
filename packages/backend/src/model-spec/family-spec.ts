// What Anneal knows of a model family, in one place per family (llada.ts, dream.ts): how its
// config.json names it and its dimensions, its published special ids, whether its logits are
// shifted, and its checkpoint tensor names. The loader, the exporter and trainer, the tests and the
// benches all read these; bench/default_model_manifest.py reads the same *.tensors.json.
import type { ModelShape } from "../native";
import type { Config } from "./config-values";

export type Family = "llada" | "dream" | "llada-moe" | "sdar" | "fast-dllm-v2" | "llada2";

export interface SpecialIds {
  mask: number;
  eos: number;
  pad?: number;
}

export interface FamilySpec {
  family: Family;
  /** config.json `architectures` entries that name the family. */
  architectures: string[];
  /** Its `model_type` (lower case), which decides only when a config names no architecture. */
  modelType: string;
  /** A config key that must be present too when the model_type is shared with another family. */
  modelTypeNeeds?: string;
  /** The published mask and end-of-text ids, for files that do not say. */
  ids: SpecialIds;
  /** Ids besides EOS that end a chat answer (the end-of-turn token its chat template writes). */
  turnEndIds?: number[];
  /**
   * Block diffusion (SDAR, Fast-dLLM v2, LLaDA2): attention bidirectional inside a block, causal
   * across blocks, decoded a block at a time over an exact KV cache. The published block size, used
   * where a config or GGUF file names none; absent for bidirectional families.
   */
  blockSize?: number;
  /** Whether token i is predicted from the logits at i − 1 (Dream) rather than at i. */
  shiftLogits: boolean;
  /**
   * Engine weight key → checkpoint tensor name; `{i}` stands for the layer, `{x}` for the expert.
   * Keys of one layer that name the same tensor are its row ranges in key order (LLaDA2's fused
   * query_key_value holds q, then k, then v).
   */
  tensors: Record<string, string>;
  /**
   * How llama.cpp's converter writes the family as GGUF, under an architecture of the family's name;
   * absent where it defines none (SDAR, Fast-dLLM v2).
   */
  gguf?: {
    /**
     * Whether q and k rows (and biases) are permuted into interleaved RoPE pairs ("undo_permute",
     * LLaDA), rather than written as they are (Dream).
     */
    interleavesRope: boolean;
    /** Engine keys whose GGUF names are the family's own (LLaDA2's fused blk.N.attn_qkv), over gguf.tensors.json. */
    tensors?: Record<string, string>;
  };
  /**
   * The shape, context length and (block-diffusion families) block and sub-block sizes a config.json describes; a
   * CheckpointError naming `file` if it cannot.
   */
  readConfig(
    config: Config,
    file: string,
  ): { shape: ModelShape; contextLength: number; blockSize?: number; subBlockSize?: number };
  /** A config.json that readConfig reads back as `shape` (for exported and test checkpoints). */
  writeConfig(shape: ModelShape, ids: SpecialIds, contextLength: number, blockSize?: number): Config;
}

/**
 * The checkpoint tensor name of engine weight `key` (`embed`, `layers.3.q`, `layers.3.experts.7.up` …)
 * in `spec`'s family: its template with `{i}` the layer and `{x}` the expert.
 */
export function tensorName(spec: Pick<FamilySpec, "tensors">, key: string): string {
  const match = /^layers\.(\d+)\.(?:experts\.(\d+)\.)?(.+)$/.exec(key);
  if (!match) return spec.tensors[key] ?? missing(key);
  const [, layer, expert, leaf] = match as unknown as [string, string, string | undefined, string];
  const template = spec.tensors[`layers.{i}.${expert === undefined ? "" : "experts.{x}."}${leaf}`] ?? missing(key);
  return template.replaceAll("{i}", layer).replaceAll("{x}", expert ?? "");
}

function missing(key: string): never {
  throw new Error(`no tensor name for ${key}`);
}
