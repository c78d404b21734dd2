// Folds FIM chunks (appended `choices[].text`) into a FimCompletion.
import type { FinishReason, Usage } from "../schema/common";
import type { FimCompletion, FimCompletionChunk } from "../schema/fim";
import type { Accumulator } from "./accumulator";

export class FimCompletionAccumulator implements Accumulator<FimCompletionChunk, FimCompletion> {
  #id = "";
  #model = "";
  #created = 0;
  #usage: Usage | undefined;
  #warning: string | undefined;
  readonly #choices = new Map<number, { text: string; finishReason: FinishReason | null }>();

  add(chunk: FimCompletionChunk): void {
    this.#id ||= chunk.id;
    this.#model ||= chunk.model ?? "";
    this.#created ||= chunk.created ?? 0;
    if (chunk.usage) this.#usage = chunk.usage;
    if (chunk.warning) this.#warning = chunk.warning;
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
    return this.#usage;
  }

  result(): FimCompletion {
    const indices = [...this.#choices.keys()].sort((a, b) => a - b);
    return {
      id: this.#id,
      object: "text_completion",
      created: this.#created,
      model: this.#model,
      choices: indices.map((index) => {
        const choice = this.#choices.get(index) as { text: string; finishReason: FinishReason | null };
        return { index, text: choice.text, finish_reason: choice.finishReason };
      }),
      ...(this.#usage ? { usage: this.#usage } : {}),
      ...(this.#warning ? { warning: this.#warning } : {}),
    };
  }
}
