// Folds chat chunks into a ChatCompletion: appended or (diffusing) replaced text, tool calls by index,
// usage, reasoning summaries and warnings.
import type { ChatCompletion, ChatCompletionChunk, ReasoningSummary, ToolCall } from "../schema/chat";
import type { FinishReason, Usage } from "../schema/common";
import type { Accumulator } from "./accumulator";
import { CompletionEnvelope } from "./completion-envelope";

interface ChoiceState {
  content: string | null;
  reasoning: string | null;
  toolCalls: ToolCall[];
  finishReason: FinishReason | null;
}

export class ChatCompletionAccumulator implements Accumulator<ChatCompletionChunk, ChatCompletion> {
  readonly #envelope = new CompletionEnvelope();
  readonly #summaries: ReasoningSummary[] = [];
  readonly #choices = new Map<number, ChoiceState>();

  /** With `diffusing`, each `delta.content` is the whole current draft and replaces the text. */
  constructor(private readonly diffusing: boolean) {}

  add(chunk: ChatCompletionChunk): void {
    this.#envelope.add(chunk);
    if (chunk.reasoning_summary) this.#summaries.push(chunk.reasoning_summary);
    for (const { index, delta, finish_reason } of chunk.choices) {
      const choice = this.#choice(index);
      if (typeof delta.content === "string") {
        choice.content = this.diffusing ? delta.content : (choice.content ?? "") + delta.content;
      }
      if (typeof delta.reasoning_content === "string") {
        choice.reasoning = (choice.reasoning ?? "") + delta.reasoning_content;
      }
      for (const call of delta.tool_calls ?? []) {
        const target = choice.toolCalls[call.index] ?? emptyToolCall();
        choice.toolCalls[call.index] = target;
        if (call.id) target.id = call.id;
        if (call.function?.name) target.function.name = call.function.name;
        if (call.function?.arguments) target.function.arguments += call.function.arguments;
      }
      if (finish_reason) choice.finishReason = finish_reason;
    }
  }

  get text(): string {
    return this.#choices.get(0)?.content ?? "";
  }

  changesText(chunk: ChatCompletionChunk): boolean {
    return chunk.choices.some((choice) => choice.index === 0 && typeof choice.delta.content === "string");
  }

  /** The tool calls streamed so far for the first choice, merged by index. */
  get toolCalls(): ToolCall[] {
    return (this.#choices.get(0)?.toolCalls ?? []).filter(Boolean);
  }

  get usage(): Usage | undefined {
    return this.#envelope.usage;
  }

  result(): ChatCompletion {
    const indices = [...this.#choices.keys()].sort((a, b) => a - b);
    return {
      id: this.#envelope.id,
      object: "chat.completion",
      created: this.#envelope.created,
      model: this.#envelope.model,
      choices: indices.map((index) => {
        const state = this.#choices.get(index) as ChoiceState;
        const toolCalls = state.toolCalls.filter(Boolean);
        return {
          index,
          message: {
            role: "assistant",
            content: state.content,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
            ...(state.reasoning !== null ? { reasoning_content: state.reasoning } : {}),
          },
          finish_reason: state.finishReason,
        };
      }),
      ...this.#envelope.optionalFields(),
      ...(this.#summaries.length > 0 ? { reasoning_summary: joinSummaries(this.#summaries) } : {}),
    };
  }

  #choice(index: number): ChoiceState {
    let choice = this.#choices.get(index);
    if (!choice) {
      choice = { content: null, reasoning: null, toolCalls: [], finishReason: null };
      this.#choices.set(index, choice);
    }
    return choice;
  }
}

/** Streamed summaries each cover the reasoning since the previous one; the whole is them joined. */
function joinSummaries(summaries: ReasoningSummary[]): ReasoningSummary {
  const parts = summaries.map((summary) => summary.content).filter((content): content is string => !!content);
  const last = summaries.at(-1) as ReasoningSummary;
  return { content: parts.length > 0 ? parts.join("\n") : null, status: last.status };
}

function emptyToolCall(): ToolCall {
  return { id: "", type: "function", function: { name: "", arguments: "" } };
}
