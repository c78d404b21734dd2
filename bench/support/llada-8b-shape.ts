// LLaDA-8B's published shape (GSAI-ML/LLaDA-8B-Instruct config.json), for the benches' random models.
import type { ModelShape } from "../../packages/backend/src/native";
import type { RandomModel } from "./random-gguf-model";

export const LLADA_8B_SHAPE: ModelShape = {
  vocab: 126464,
  dim: 4096,
  layers: 32,
  heads: 32,
  kvHeads: 32,
  headDim: 128,
  ffn: 12288,
  eps: 1e-5,
  ropeTheta: 500000,
  qkvBias: false,
  tiedEmbeddings: false,
};

export const LLADA_8B: RandomModel = {
  family: "llada",
  shape: LLADA_8B_SHAPE,
  ids: { eos: 126081, mask: 126336 },
  name: "random LLaDA-8B",
};
