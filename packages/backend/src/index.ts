// @anneal/backend: the diffusion engine (checkpoint loading, native forward pass, samplers).
export { type Architecture, type Family, readArchitecture } from "./checkpoint/architecture";
export { ChatTemplate, type TemplateMessage } from "./checkpoint/chat-template";
export { type LoadedCheckpoint, type LoadOptions, loadCheckpoint } from "./checkpoint/load";
export { readCheckpointTensors, readSafetensorsHeader, type TensorInfo } from "./checkpoint/safetensors";
export { TextTokenizer } from "./checkpoint/tokenizer";
export { DEFAULT_MODEL_NAME, defaultModelDir } from "./default-model";
export {
  type CacheMode,
  type GenerateOptions,
  type GenerateResult,
  type GenerationModel,
  generate,
  type StepEvent,
} from "./engine/generate";
export { SAMPLERS, type SamplerName } from "./engine/sampler";
export { jsonCanvas } from "./engine/structured/json-canvas";
export { UnsupportedSchemaError } from "./engine/structured/schema-layout";
export { CheckpointError } from "./errors";
export { countParameters, engineWeights, FAMILY_SPECS, type FamilySpec } from "./model-spec";
export {
  type CudaInfo,
  type Device,
  type GemmBackend,
  type NativeModel,
  type NativeSequence,
  type NativeStats,
  native,
} from "./native";
export { type AnnealServer, createServer, type ServerOptions } from "./server/server";
export { DEFAULT_SETTINGS as DEFAULT_TRAIN_SETTINGS, type TrainSettings, train } from "./train/train";
