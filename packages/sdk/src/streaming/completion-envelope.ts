// The fields every streamed completion carries besides its choices: id, model, created, usage, warning.
import type { Usage } from "../schema/common";

export interface EnvelopeChunk {
  id: string;
  model?: string | undefined;
  created?: number | undefined;
  usage?: Usage | null | undefined;
  warning?: string | null | undefined;
}

export class CompletionEnvelope {
  id = "";
  model = "";
  created = 0;
  usage: Usage | undefined;
  warning: string | undefined;

  /** The first chunk names the completion; usage and warnings may come on any later one. */
  add(chunk: EnvelopeChunk): void {
    this.id ||= chunk.id;
    this.model ||= chunk.model ?? "";
    this.created ||= chunk.created ?? 0;
    if (chunk.usage) this.usage = chunk.usage;
    if (chunk.warning) this.warning = chunk.warning;
  }

  /** Usage and warning for the final response, present only when the server sent them. */
  optionalFields(): { usage?: Usage; warning?: string } {
    return { ...(this.usage ? { usage: this.usage } : {}), ...(this.warning ? { warning: this.warning } : {}) };
  }
}
