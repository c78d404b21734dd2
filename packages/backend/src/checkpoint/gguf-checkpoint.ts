// A GGUF file as a checkpoint: the architecture and tokenizer from its metadata, and every weight
// the engine needs located in the file (checked for presence, shape and type before any is read).
import { CheckpointError } from "../errors";
import { weightShape } from "../model-spec";
import type { NativeTensor } from "../native";
import { bytesPerElement, GgufMetadata, ggmlTypeName, readGguf } from "./gguf";
import { ggufArchitecture, interleavesRope } from "./gguf-architecture";
import { tokenizerFromGguf } from "./gguf-tokenizer";
import type { CheckpointParts } from "./load";

export function readGgufCheckpoint(file: string, warn: (message: string) => void): CheckpointParts {
  const gguf = readGguf(file);
  const architecture = ggufArchitecture(gguf);
  const tokenizer = tokenizerFromGguf(new GgufMetadata(gguf, ""), file, warn);
  const tensors: Record<string, NativeTensor> = {};
  const interleaved = interleavesRope(architecture.family);
  for (const [key, { name }] of architecture.tensorNames) {
    const tensor = gguf.tensors.get(name);
    if (!tensor) throw new CheckpointError(file, `missing tensor ${name}`);
    if (!tensor.dtype) {
      throw new CheckpointError(
        file,
        `tensor ${name} is ${ggmlTypeName(tensor.type)}; F32, F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K load`,
      );
    }
    const expected = weightShape(key, architecture.shape);
    // llama.cpp stacks a layer's experts into one [experts][rows][columns] tensor: expert x is a slice.
    const expert = /\.experts\.(\d+)\./.exec(key)?.[1];
    const stacked = expert === undefined ? expected : [architecture.shape.moe?.experts ?? 0, ...expected];
    if (JSON.stringify(tensor.shape) !== JSON.stringify(stacked)) {
      throw new CheckpointError(
        file,
        `tensor ${name} has shape ${JSON.stringify(tensor.shape)}, expected ${JSON.stringify(stacked)} from the metadata`,
      );
    }
    const leaf = key.split(".").at(-1) as string;
    const rope = interleaved && ["q", "k", "q_bias", "k_bias"].includes(leaf);
    const sliceBytes = expected.reduce((a, b) => a * b, 1) * bytesPerElement(tensor.dtype);
    tensors[key] = {
      name,
      file: 0,
      offset: tensor.offset + (expert === undefined ? 0 : Number(expert) * sliceBytes),
      dtype: tensor.dtype,
      shape: expected,
      ...(rope ? { interleavedHeadDim: architecture.shape.headDim } : {}),
    };
  }
  return {
    architecture,
    weights: { files: [file], tensors },
    tokenizerJson: tokenizer.tokenizerJson,
    tokenizerConfig: tokenizer.tokenizerConfig,
    tokenizerFile: file,
    templateFile: file,
    templateSource: tokenizer.chatTemplate,
    generationConfig: {},
  };
}
