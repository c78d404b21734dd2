// LLaDA2.0 (inclusionAI/LLaDA2.0-mini and -flash; BailingMoeV2's layout): block diffusion with a
// mixture of experts — one fused q|k|v projection, per-head q/k RMS norms, partial rotary embeddings
// (the first half of each head), grouped-query attention; the first `first_k_dense_replace` layers
// dense, the rest a sigmoid router choosing among groups of experts (the expert bias steering the
// choice only), renormalised and scaled weights, and shared experts; logits not shifted. Config keys
// as its published configuration_llada2_moe.py and config.json define them; the forward as
// modeling_llada2_moe.py (LLaDA2MoeAttention, LLaDA2MoeGate, LLaDA2MoeSparseMoeBlock); the decoding
// as its generate (blocks of 32, threshold 0.95 with at least the step's quota).
import { CheckpointError } from "../errors";
import type { ModelShape } from "../native";
import { type Config, configInt, configNumber, qwenConfigKeys, qwenDimensions } from "./config-values";
import type { FamilySpec } from "./family-spec";
import tensors from "./llada2.tensors.json";

/** generate's block_length: its config names none, so every LLaDA2 model decodes in blocks of 32. */
export const LLADA2_BLOCK_SIZE = 32;

export const LLADA2: FamilySpec = {
  family: "llada2",
  architectures: ["LLaDA2MoeModelLM"],
  modelType: "llada2_moe",
  // <|mask|> and <|endoftext|> in Ling's vocabulary (generate's mask_id and eos_id).
  ids: { mask: 156895, eos: 156892 },
  shiftLogits: false,
  tensors,
  // llama.cpp's converter writes LLaDA2 as "llada2": BailingMoeV2's tensors, q|k|v fused in attn_qkv.
  gguf: {
    interleavesRope: false,
    tensors: {
      "layers.{i}.q": "blk.{i}.attn_qkv.weight",
      "layers.{i}.k": "blk.{i}.attn_qkv.weight",
      "layers.{i}.v": "blk.{i}.attn_qkv.weight",
    },
  },
  blockSize: LLADA2_BLOCK_SIZE,
  readConfig(config: Config, file: string) {
    refuseUnsupported(config, file);
    // The published class's defaults where a config is silent (eps 1e-5, θ 10000, untied).
    const dimensions = qwenDimensions(config, file, 1e-5);
    const { dim, heads, layers } = dimensions;
    const headDim = configInt(config, file, "head_dim", "dim", dim / heads);
    if (!Number.isInteger(headDim)) {
      throw new CheckpointError(file, "give head_dim, or a hidden_size that is a multiple of num_attention_heads");
    }
    if (heads % dimensions.kvHeads !== 0) {
      throw new CheckpointError(file, "num_attention_heads must be a multiple of num_key_value_heads");
    }
    const experts = configInt(config, file, "num_experts", "heads", 16);
    const expertsPerToken = configInt(config, file, "num_experts_per_tok", "heads", 2);
    const expertFfn = configInt(config, file, "moe_intermediate_size", "ffn");
    const shared = config.num_shared_experts ?? 0;
    if (typeof shared !== "number" || !Number.isInteger(shared) || shared < 0) {
      throw new CheckpointError(file, `num_shared_experts must be a whole number (got ${JSON.stringify(shared)})`);
    }
    const groups = configInt(config, file, "n_group", "heads", 8);
    const groupsKept = configInt(config, file, "topk_group", "heads", 4);
    if (experts % groups !== 0 || (groups > 1 && experts / groups < 2)) {
      throw new CheckpointError(
        file,
        `n_group ${groups} does not split num_experts ${experts} into groups of two or more`,
      );
    }
    if (groupsKept > groups || groupsKept * (experts / groups) < expertsPerToken) {
      throw new CheckpointError(
        file,
        `topk_group ${groupsKept} of n_group ${groups} leaves fewer than num_experts_per_tok ${expertsPerToken} experts`,
      );
    }
    const scale = configNumber(config, "routed_scaling_factor", 2.5);
    if (!(scale > 0) || !Number.isFinite(scale)) {
      throw new CheckpointError(file, `routed_scaling_factor ${JSON.stringify(scale)} must be a positive number`);
    }
    // LLaDA2MoeDecoderLayer: layers below first_k_dense_replace keep a dense MLP.
    const firstDense = config.first_k_dense_replace ?? 0;
    if (typeof firstDense !== "number" || !Number.isInteger(firstDense) || firstDense < 0 || firstDense > layers) {
      throw new CheckpointError(file, `first_k_dense_replace ${JSON.stringify(firstDense)} must be 0 to ${layers}`);
    }
    const moeLayers = Array.from({ length: layers }, (_, i) => i >= firstDense);
    const shape: ModelShape = {
      ...dimensions,
      headDim,
      // The dense layers' width (the published class leaves intermediate_size unset when none is dense).
      ffn: firstDense > 0 ? configInt(config, file, "intermediate_size", "ffn") : expertFfn,
      qkvBias: false,
      qkNorm: true,
      ...rotaryDims(config, file, headDim),
      moe: {
        experts,
        expertsPerToken,
        expertFfn,
        sharedExpertFfn: expertFfn * shared,
        // The gate always adds its expert_bias buffer (zeros in a model trained without one).
        expertBias: true,
        // LLaDA2MoeGate renormalises whenever it picks more than one expert, whatever norm_topk_prob says.
        normTopK: expertsPerToken > 1,
        router: "sigmoid",
        groups,
        groupsKept,
        routedScale: scale,
        ...(moeLayers.every(Boolean) ? {} : { layers: moeLayers }),
      },
    };
    return {
      shape,
      contextLength: configInt(config, file, "max_position_embeddings", "context", 16384),
      blockSize: LLADA2_BLOCK_SIZE,
    };
  },
  writeConfig(shape, ids, contextLength, blockSize = LLADA2_BLOCK_SIZE) {
    const moe = shape.moe;
    if (!moe) throw new Error("a LLaDA2 config needs the mixture's shape");
    if (blockSize !== LLADA2_BLOCK_SIZE) throw new Error(`LLaDA2 decodes in blocks of ${LLADA2_BLOCK_SIZE}`);
    const firstMixture = moe.layers ? moe.layers.indexOf(true) : 0;
    const firstDense = firstMixture < 0 ? shape.layers : firstMixture;
    if (moe.layers?.some((flag, i) => flag !== i >= firstDense)) {
      throw new Error("LLaDA2's dense layers come first (first_k_dense_replace)");
    }
    if (moe.sharedExpertFfn % moe.expertFfn !== 0) throw new Error("LLaDA2's shared experts are whole experts");
    return {
      architectures: ["LLaDA2MoeModelLM"],
      model_type: "llada2_moe",
      ...qwenConfigKeys(shape, ids, contextLength),
      head_dim: shape.headDim,
      intermediate_size: shape.ffn,
      num_experts: moe.experts,
      num_experts_per_tok: moe.expertsPerToken,
      moe_intermediate_size: moe.expertFfn,
      num_shared_experts: moe.sharedExpertFfn / moe.expertFfn,
      n_group: moe.groups ?? 1,
      topk_group: moe.groupsKept ?? moe.groups ?? 1,
      routed_scaling_factor: moe.routedScale ?? 1,
      first_k_dense_replace: firstDense,
      norm_topk_prob: true,
      score_function: "sigmoid",
      moe_router_enable_expert_bias: true,
      partial_rotary_factor: (shape.ropeDim ?? shape.headDim) / shape.headDim,
      use_qk_norm: true,
      use_qkv_bias: false,
      use_bias: false,
      norm_head: false,
      rope_scaling: null,
    };
  },
};

/** Partial rotary: int(head_dim · partial_rotary_factor) values of each head turn (the class default 0.5). */
function rotaryDims(config: Config, file: string, headDim: number): Pick<ModelShape, "ropeDim"> {
  const factor = configNumber(config, "partial_rotary_factor", 0.5);
  const dims = Math.trunc(headDim * factor);
  if (!(factor > 0) || factor > 1 || dims < 2 || dims % 2 !== 0) {
    throw new CheckpointError(
      file,
      `partial_rotary_factor ${JSON.stringify(config.partial_rotary_factor)} must turn an even number of a head's ${headDim} values`,
    );
  }
  return dims === headDim ? {} : { ropeDim: dims };
}

/** What the published modelling supports but the engine does not: refused by name, never ignored. */
function refuseUnsupported(config: Config, file: string): void {
  const refuse = (key: string, why: string) => {
    throw new CheckpointError(file, `${key} ${JSON.stringify(config[key])}: ${why}`);
  };
  if (config.use_qkv_bias === true) refuse("use_qkv_bias", "a bias on query_key_value is not supported");
  // The published class defaults use_bias to true; every published config sets it false.
  if (config.use_bias !== false) refuse("use_bias", "a bias on attention.dense is not supported (set use_bias: false)");
  if (config.use_qk_norm === false) refuse("use_qk_norm", "LLaDA2 without q/k norms is not supported");
  if (config.norm_head === true) refuse("norm_head", "a normalised LM head is not supported");
  if (config.use_sliding_window === true) refuse("use_sliding_window", "sliding-window attention is not supported");
  if (config.hidden_act !== undefined && config.hidden_act !== "silu")
    refuse("hidden_act", "only SiLU (SwiGLU) MLPs are supported");
  if (config.score_function !== undefined && config.score_function !== "sigmoid")
    refuse("score_function", "LLaDA2MoeGate scores experts with a sigmoid");
  if (config.rope_scaling !== undefined && config.rope_scaling !== null)
    refuse("rope_scaling", "scaled RoPE is not supported");
  if (config.num_experts === null || config.num_experts === 0)
    refuse("num_experts", "a LLaDA2 model without experts is not supported");
}
