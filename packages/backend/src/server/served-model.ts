// A model the server serves: its checkpoint, its id, its forward batcher and what it can do.
import type { LoadedCheckpoint } from "../checkpoint/load";
import type { GenerationModel } from "../engine/generate";
import { ForwardBatcher } from "./forward-batcher";

export interface ServedModel {
  id: string;
  checkpoint: LoadedCheckpoint;
  /** What generate() runs on: forward passes go through the batcher. */
  engine: GenerationModel;
  contextLength: number;
  created: number;
}

export function serveModel(id: string, checkpoint: LoadedCheckpoint, onPass: (sequences: number) => void): ServedModel {
  const batcher = new ForwardBatcher(checkpoint.model, onPass);
  return {
    id,
    checkpoint,
    engine: {
      architecture: checkpoint.architecture,
      model: {
        forward: (sequences) => batcher.forward(sequences),
        createCache: (capacity) => checkpoint.model.createCache(capacity),
      },
    },
    contextLength: checkpoint.architecture.contextLength,
    created: Math.floor(Date.now() / 1000),
  };
}
