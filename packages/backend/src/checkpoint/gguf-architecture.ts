// The model a GGUF file describes, as llama.cpp's converter writes LLaDA ("llada") and Dream
// ("dream") files: hyperparameters and special ids from the metadata, tensors under llama.cpp's
// names. And the reverse, for writing our own models as GGUF.
import { CheckpointError } from "../errors";
import { FAMILY_SPECS, type Family, tensorName } from "../model-spec";
import ggufTensors from "../model-spec/gguf.tensors.json";
import type { ModelShape, MoeShape } from "../native";
import { type Architecture, believable, checkpointTensorNames, checkSpecialIds } from "./architecture";
import { type GgufFile, GgufMetadata } from "./gguf";
import type { GgufEntry } from "./gguf-writer";

// The families llama.cpp's converter defines a GGUF layout for (not SDAR's, not Fast-dLLM v2's).
const FAMILIES = (Object.keys(FAMILY_SPECS) as Family[]).filter((family) => FAMILY_SPECS[family].gguf);

/** llama.cpp's tensor name for each engine weight key (`layers.3.q` → `blk.3.attn_q.weight`), every family alike. */
export function ggufTensorName(key: string): string {
  return tensorName({ tensors: ggufTensors }, key);
}

/**
 * Where each engine weight of a `family` model of this shape is in its GGUF file: llama.cpp's names,
 * the family's own where it has them (LLaDA2's q, k and v as row ranges of blk.N.attn_qkv).
 */
export function ggufTensorSources(family: Family, shape: ModelShape): Architecture["tensorNames"] {
  return checkpointTensorNames({ tensors: { ...ggufTensors, ...FAMILY_SPECS[family].gguf?.tensors } }, shape);
}

/** Whether LLaDA-style q/k rows are stored permuted for interleaved RoPE in this family's GGUF files. */
export function interleavesRope(family: Family): boolean {
  return FAMILY_SPECS[family].gguf?.interleavesRope === true;
}

/** llama.cpp's expert_gating_func values (LLAMA_EXPERT_GATING_FUNC_TYPE_*). */
const GATING = { softmax: 1, sigmoid: 2 } as const;

export function ggufArchitecture(gguf: GgufFile): Architecture {
  const file = gguf.file;
  const general = new GgufMetadata(gguf, "");
  const name = general.string("general.architecture");
  if (!FAMILIES.includes(name as Family)) {
    throw new CheckpointError(file, `unsupported architecture "${name}"; supported: ${FAMILIES.join(", ")}`);
  }
  const family = name as Family;
  const m = new GgufMetadata(gguf, family);
  const embed = gguf.tensors.get("token_embd.weight");
  if (embed?.shape.length !== 2) throw new CheckpointError(file, "missing tensor token_embd.weight");
  const dim = believable(file, `${family}.embedding_length`, m.integer(".embedding_length"), "dim");
  const heads = believable(file, `${family}.attention.head_count`, m.integer(".attention.head_count"), "heads");
  const shape: ModelShape = {
    vocab: believable(file, "token_embd.weight rows", embed.shape[0], "vocab"),
    dim,
    layers: believable(file, `${family}.block_count`, m.integer(".block_count"), "layers"),
    heads,
    kvHeads: believable(
      file,
      `${family}.attention.head_count_kv`,
      m.integer(".attention.head_count_kv", heads),
      "heads",
    ),
    // attention.key_length where the file gives one (LLaDA2's head_dim), else embedding_length / head_count
    headDim: m.has(".attention.key_length")
      ? believable(file, `${family}.attention.key_length`, m.integer(".attention.key_length"), "dim")
      : dim / heads,
    ffn: 0, // below: the dense MLP's width, which a mixture-of-experts file may leave out
    eps: m.number(".attention.layer_norm_rms_epsilon", family === "dream" ? 1e-6 : 1e-5),
    ropeTheta: m.number(".rope.freq_base", 10000),
    qkvBias: gguf.tensors.has("blk.0.attn_q.bias"),
    tiedEmbeddings: !gguf.tensors.has("output.weight"),
    ...(gguf.tensors.has("blk.0.attn_q_norm.weight") ? { qkNorm: true } : {}),
  };
  const moe = ggufMixture(gguf, m, family, shape.layers);
  if (moe) shape.moe = moe;
  const ffn = m.optionalInteger(".feed_forward_length") ?? moe?.expertFfn;
  shape.ffn = believable(file, `${family}.feed_forward_length`, ffn, "ffn");
  if (!Number.isInteger(shape.headDim))
    throw new CheckpointError(file, "embedding_length must be a multiple of head_count");
  const valueLength = m.optionalInteger(".attention.value_length");
  if (valueLength !== undefined && valueLength !== shape.headDim) {
    throw new CheckpointError(
      file,
      `${family}.attention.value_length ${valueLength} is not the key length ${shape.headDim}`,
    );
  }
  // rope.dimension_count below the head's width: partial rotary (LLaDA2 turns half of each head).
  const rotated = m.optionalInteger(".rope.dimension_count");
  if (rotated !== undefined && rotated !== shape.headDim) {
    if (rotated <= 0 || rotated > shape.headDim || rotated % 2 !== 0) {
      throw new CheckpointError(
        file,
        `${family}.rope.dimension_count ${rotated} must be an even number of at most the head's ${shape.headDim} values`,
      );
    }
    shape.ropeDim = rotated;
  }
  const declaredVocab = m.optionalInteger(".vocab_size");
  if (declaredVocab !== undefined && declaredVocab !== shape.vocab) {
    throw new CheckpointError(
      file,
      `${family}.vocab_size ${declaredVocab} does not match token_embd.weight's ${shape.vocab} rows`,
    );
  }
  const eos = m.optionalInteger("tokenizer.ggml.eos_token_id") ?? FAMILY_SPECS[family].ids.eos;
  const eot = m.optionalInteger("tokenizer.ggml.eot_token_id");
  const architecture: Architecture = {
    family,
    shape,
    maskId: m.optionalInteger("tokenizer.ggml.mask_token_id") ?? FAMILY_SPECS[family].ids.mask,
    stopIds: [...new Set([eos, ...(eot === undefined ? [] : [eot])])],
    padId: m.optionalInteger("tokenizer.ggml.padding_token_id"),
    shiftLogits: m.boolean("diffusion.shift_logits", FAMILY_SPECS[family].shiftLogits),
    contextLength: believable(file, `${family}.context_length`, m.integer(".context_length", 4096), "context"),
    ...(FAMILY_SPECS[family].blockSize !== undefined ? { blockSize: FAMILY_SPECS[family].blockSize } : {}),
    tensorNames: ggufTensorSources(family, shape),
  };
  checkSpecialIds(architecture, file);
  return architecture;
}

/**
 * A mixture-of-experts file's experts, as llama.cpp's converter writes LLaDA-MoE and LLaDA2: counts,
 * widths, the gating function (softmax or sigmoid), the weights' scale and normalisation and the
 * expert groups in the metadata; which layers have a router (ffn_gate_inp), an expert bias or a
 * shared expert from the tensors present. Undefined for a dense model.
 */
function ggufMixture(gguf: GgufFile, m: GgufMetadata, family: Family, layers: number): MoeShape | undefined {
  const experts = m.optionalInteger(".expert_count");
  if (experts === undefined || experts === 0) return undefined;
  const file = gguf.file;
  const key = (suffix: string) => `${family}${suffix}`;
  const scale = m.has(".expert_weights_scale") ? m.number(".expert_weights_scale") : 1;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new CheckpointError(file, `${key(".expert_weights_scale")} ${scale} must be a positive number`);
  }
  const gating = m.optionalInteger(".expert_gating_func") ?? GATING.softmax;
  if (gating !== GATING.softmax && gating !== GATING.sigmoid) {
    throw new CheckpointError(file, `${key(".expert_gating_func")} ${gating}: only softmax (1) and sigmoid (2) route`);
  }
  const groups = m.optionalInteger(".expert_group_count") ?? 1;
  const groupsKept = m.optionalInteger(".expert_group_used_count") ?? groups;
  const routed = Array.from({ length: layers }, (_, i) => gguf.tensors.has(`blk.${i}.ffn_gate_inp.weight`));
  const shared = [...gguf.tensors.values()].find((t) => t.name.endsWith(".ffn_gate_shexp.weight"));
  return {
    experts: believable(file, "expert_count", experts, "heads"),
    expertsPerToken: believable(file, "expert_used_count", m.integer(".expert_used_count"), "heads"),
    expertFfn: believable(file, "expert_feed_forward_length", m.integer(".expert_feed_forward_length"), "ffn"),
    sharedExpertFfn: shared ? (shared.shape[0] as number) : 0,
    expertBias: gguf.tensors.has(`blk.${routed.indexOf(true)}.exp_probs_b.bias`),
    normTopK: m.boolean(".expert_weights_norm", false),
    ...(routed.every(Boolean) ? {} : { layers: routed }),
    ...(gating === GATING.sigmoid ? { router: "sigmoid" as const } : {}),
    ...(groups > 1
      ? {
          groups: believable(file, key(".expert_group_count"), groups, "heads"),
          groupsKept: believable(file, key(".expert_group_used_count"), groupsKept, "heads"),
        }
      : {}),
    ...(scale !== 1 ? { routedScale: scale } : {}),
  };
}

/** The architecture metadata llama.cpp reads for a model of this family and shape. */
/** `fileType`: llama.cpp's general.file_type (which quantization mix the file is). */
export function ggufArchitectureEntries(architecture: Architecture, name: string, fileType: number): GgufEntry[] {
  const { family, shape } = architecture;
  const key = (suffix: string) => `${family}.${suffix}`;
  return [
    { key: "general.architecture", type: "string", value: family },
    { key: "general.name", type: "string", value: name },
    { key: "general.file_type", type: "u32", value: fileType },
    { key: key("context_length"), type: "u32", value: architecture.contextLength },
    { key: key("embedding_length"), type: "u32", value: shape.dim },
    { key: key("block_count"), type: "u32", value: shape.layers },
    { key: key("feed_forward_length"), type: "u32", value: shape.ffn },
    { key: key("attention.head_count"), type: "u32", value: shape.heads },
    { key: key("attention.head_count_kv"), type: "u32", value: shape.kvHeads },
    { key: key("attention.layer_norm_rms_epsilon"), type: "f32", value: shape.eps },
    { key: key("rope.freq_base"), type: "f32", value: shape.ropeTheta },
    { key: key("rope.dimension_count"), type: "u32", value: shape.ropeDim ?? shape.headDim },
    { key: key("attention.key_length"), type: "u32", value: shape.headDim },
    { key: key("attention.value_length"), type: "u32", value: shape.headDim },
    { key: key("vocab_size"), type: "u32", value: shape.vocab },
    { key: key("attention.causal"), type: "bool", value: false },
    { key: "diffusion.shift_logits", type: "bool", value: architecture.shiftLogits },
    ...(shape.moe
      ? ([
          { key: key("expert_count"), type: "u32", value: shape.moe.experts },
          { key: key("expert_used_count"), type: "u32", value: shape.moe.expertsPerToken },
          { key: key("expert_feed_forward_length"), type: "u32", value: shape.moe.expertFfn },
          { key: key("expert_weights_norm"), type: "bool", value: shape.moe.normTopK },
          { key: key("expert_weights_scale"), type: "f32", value: shape.moe.routedScale ?? 1 },
          {
            key: key("expert_gating_func"),
            type: "u32",
            value: shape.moe.router === "sigmoid" ? GATING.sigmoid : GATING.softmax,
          },
          { key: key("expert_group_count"), type: "u32", value: shape.moe.groups ?? 1 },
          { key: key("expert_group_used_count"), type: "u32", value: shape.moe.groupsKept ?? shape.moe.groups ?? 1 },
          { key: key("leading_dense_block_count"), type: "u32", value: leadingDenseLayers(shape.moe, shape.layers) },
          ...(shape.moe.sharedExpertFfn > 0
            ? [{ key: key("expert_shared_feed_forward_length"), type: "u32", value: shape.moe.sharedExpertFfn }]
            : []),
        ] as GgufEntry[])
      : []),
  ];
}

/** How many layers before the first mixture layer are dense. */
function leadingDenseLayers(moe: MoeShape, layers: number): number {
  const first = moe.layers ? moe.layers.indexOf(true) : 0;
  return first < 0 ? layers : first;
}
