// Folds FIM chunks (appended `choices[].text`) into a FimCompletion.
import type { FinishReason, Usage } from "../schema/common";
import type { FimCompletion, FimCompletionChunk } from "../schema/fim";
import type { Accumulator } from "./accumulator";
import { CompletionEnvelope } from "./completion-envelope";

export class FimCompletionAccumulator implements Accumulator<FimCompletionChunk, FimCompletion> {
  readonly #envelope = new CompletionEnvelope();
  readonly #choices = new Map<number, { text: string; finishReason: FinishReason | null }>();

  add(chunk: FimCompletionChunk): void {
    this.#envelope.add(chunk);
    for (const { index, text, finish_reason } of chunk.choices) {
      const choice = this.#choices.get(index) ?? { text: "", finishReason: null };
      choice.text += text;
      if (finish_reason) choice.finishReason = finish_reason;
      this.#choices.set(index, choice);
    }
  }

  get text(): string {
    return this.#choices.get(0)?.text ?? "";
  }

  changesText(chunk: FimCompletionChunk): boolean {
    return chunk.choices.some((choice) => choice.index === 0 && choice.text.length > 0);
  }

  get usage(): Usage | undefined {
    return this.#envelope.usage;
  }

  result(): FimCompletion {
    const indices = [...this.#choices.keys()].sort((a, b) => a - b);
    return {
      id: this.#envelope.id,
      object: "text_completion",
      created: this.#envelope.created,
      model: this.#envelope.model,
      choices: indices.map((index) => {
        const choice = this.#choices.get(index) as { text: string; finishReason: FinishReason | null };
        return { index, text: choice.text, finish_reason: choice.finishReason };
      }),
      ...this.#envelope.optionalFields(),
    };
  }
}
