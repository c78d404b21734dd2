// Fast-dLLM v2 (Efficient-Large-Model/Fast_dLLM_v2_1.5B and _7B): block diffusion on Qwen2.5's
// layout — q/k/v bias, grouped-query attention — trained with a token shift (token i predicted from
// the logits at i − 1), attention block-causal over blocks of `bd_size` (32), decoded in sub-blocks
// of 8. Config keys as its published configuration.py writes them; the forward and the decoding as
// its modeling.py (Fast_dLLM_QwenAttention, generate).
import { CheckpointError } from "../errors";
import { type Config, configInt, qwenConfigKeys } from "./config-values";
import { DREAM } from "./dream";
import tensors from "./dream.tensors.json";
import type { FamilySpec } from "./family-spec";

/** Its published block and sub-block sizes (config `bd_size`; generate's small_block_size). */
export const FAST_DLLM_V2_BLOCK_SIZE = 32;
export const FAST_DLLM_V2_SUB_BLOCK_SIZE = 8;

export const FAST_DLLM_V2: FamilySpec = {
  family: "fast-dllm-v2",
  architectures: ["Fast_dLLM_QwenForCausalLM"],
  modelType: "fast_dllm_qwen",
  // |<MASK>| and <|endoftext|> in Qwen2.5's vocabulary; its generate stops at <|im_end|>.
  ids: { mask: 151665, eos: 151643 },
  turnEndIds: [151645],
  shiftLogits: true,
  // Qwen2's tensor names, biases included: the same table as Dream's.
  tensors,
  blockSize: FAST_DLLM_V2_BLOCK_SIZE,
  readConfig(config: Config, file: string) {
    if (config.use_sliding_window === true) {
      throw new CheckpointError(file, "use_sliding_window true: sliding-window attention is not supported");
    }
    // Qwen2.5's dimensions, read as Dream's (the same keys and biases); its own context and blocks.
    const { shape } = DREAM.readConfig(config, file);
    return {
      shape,
      contextLength: configInt(config, file, "max_position_embeddings", "context", 32768),
      blockSize: configInt(config, file, "bd_size", "context", FAST_DLLM_V2_BLOCK_SIZE),
      subBlockSize: FAST_DLLM_V2_SUB_BLOCK_SIZE,
    };
  },
  writeConfig(shape, ids, contextLength, blockSize = FAST_DLLM_V2_BLOCK_SIZE) {
    return {
      architectures: ["Fast_dLLM_QwenForCausalLM"],
      model_type: "Fast_dLLM_Qwen",
      ...qwenConfigKeys(shape, ids, contextLength),
      intermediate_size: shape.ffn,
      use_sliding_window: false,
      rope_scaling: null,
      bd_size: blockSize,
    };
  },
};
