// A stream of Mercury chat chunks as the AI SDK's stream parts, keeping what spans chunks: open text
// and reasoning parts, tool calls assembled by index, the finish reason, usage and reasoning summary.
import type { LanguageModelV3StreamPart } from "@ai-sdk/provider";
import type { ChatCompletionChunk, ReasoningSummary, Usage } from "@anneal/sdk";
import { finishReason, mercuryMetadata, usageOf } from "./response-parts";

/** Turns a stream of Mercury chunks into the AI SDK's parts, keeping what spans chunks (open parts, tool calls). */
export class StreamParts {
  #metadataSent = false;
  #textOpen = false;
  #reasoningOpen = false;
  #draft = "";
  #finish: string | null = null;
  #usage: Usage | null = null;
  #summary: ReasoningSummary | null = null;
  readonly #calls = new Map<number, { id: string; name: string; input: string }>();

  constructor(
    readonly diffusing: boolean,
    readonly raw: boolean,
    readonly toError: (error: unknown) => unknown,
  ) {}

  add(chunk: ChatCompletionChunk): LanguageModelV3StreamPart[] {
    const parts: LanguageModelV3StreamPart[] = [];
    if (this.raw) parts.push({ type: "raw", rawValue: chunk });
    if (!this.#metadataSent) {
      this.#metadataSent = true;
      parts.push({
        type: "response-metadata",
        id: chunk.id,
        ...(chunk.model ? { modelId: chunk.model } : {}),
        ...(chunk.created ? { timestamp: new Date(chunk.created * 1000) } : {}),
      });
    }
    if (chunk.usage) this.#usage = chunk.usage;
    if (chunk.reasoning_summary) this.#summary = chunk.reasoning_summary;
    const choice = chunk.choices[0];
    if (!choice) return parts;
    const { delta } = choice;
    if (delta.reasoning_content) {
      if (!this.#reasoningOpen) parts.push({ type: "reasoning-start", id: "reasoning-0" });
      this.#reasoningOpen = true;
      parts.push({ type: "reasoning-delta", id: "reasoning-0", delta: delta.reasoning_content });
    }
    if (typeof delta.content === "string" && delta.content !== "") {
      parts.push(...this.#closeReasoning());
      if (this.diffusing)
        this.#draft = delta.content; // a whole draft: it replaces the last one
      else parts.push(...this.#text(delta.content));
    }
    for (const call of delta.tool_calls ?? []) {
      let known = this.#calls.get(call.index);
      if (!known) {
        known = { id: call.id ?? `call_${call.index}`, name: call.function?.name ?? "", input: "" };
        this.#calls.set(call.index, known);
        parts.push(...this.#closeReasoning());
        parts.push({ type: "tool-input-start", id: known.id, toolName: known.name });
      }
      if (call.function?.arguments) {
        known.input += call.function.arguments;
        parts.push({ type: "tool-input-delta", id: known.id, delta: call.function.arguments });
      }
    }
    if (choice.finish_reason) this.#finish = choice.finish_reason;
    return parts;
  }

  end(): LanguageModelV3StreamPart[] {
    const parts: LanguageModelV3StreamPart[] = [...this.#closeReasoning()];
    if (this.diffusing && this.#draft) parts.push(...this.#text(this.#draft));
    if (this.#textOpen) parts.push({ type: "text-end", id: "text-0" });
    for (const call of this.#calls.values()) {
      parts.push({ type: "tool-input-end", id: call.id });
      parts.push({ type: "tool-call", toolCallId: call.id, toolName: call.name, input: call.input || "{}" });
    }
    const metadata = mercuryMetadata(this.#usage, this.#summary);
    parts.push({
      type: "finish",
      finishReason: finishReason(this.#finish),
      usage: usageOf(this.#usage),
      ...(metadata ? { providerMetadata: metadata } : {}),
    });
    return parts;
  }

  fail(error: unknown): LanguageModelV3StreamPart[] {
    return [
      { type: "error", error: this.toError(error) },
      { type: "finish", finishReason: { unified: "error", raw: undefined }, usage: usageOf(this.#usage) },
    ];
  }

  #text(delta: string): LanguageModelV3StreamPart[] {
    const parts: LanguageModelV3StreamPart[] = [];
    if (!this.#textOpen) parts.push({ type: "text-start", id: "text-0" });
    this.#textOpen = true;
    parts.push({ type: "text-delta", id: "text-0", delta });
    return parts;
  }

  #closeReasoning(): LanguageModelV3StreamPart[] {
    if (!this.#reasoningOpen) return [];
    this.#reasoningOpen = false;
    return [{ type: "reasoning-end", id: "reasoning-0" }];
  }
}
