// draftsOf(): the drafts of a `diffusing` streamText call, each the whole answer as it stands, ending
// with the answer. They travel as raw parts, so the call needs `includeRawChunks: true`.
import type { ChatCompletionChunk } from "@anneal/sdk";

/** What draftsOf reads: a streamText result (or anything with its fullStream). */
export interface WithFullStream {
  fullStream: AsyncIterable<{ type: string; rawValue?: unknown }>;
}

/**
 * @example
 * const result = streamText({ model: mercury("mercury-2"), prompt, includeRawChunks: true,
 *   providerOptions: { mercury: { diffusing: true } } });
 * for await (const draft of draftsOf(result)) render(draft);
 */
export async function* draftsOf(result: WithFullStream): AsyncGenerator<string, void, undefined> {
  for await (const part of result.fullStream) {
    if (part.type !== "raw") continue;
    const chunk = part.rawValue as Partial<ChatCompletionChunk> | undefined;
    const draft = chunk?.choices?.[0]?.delta?.content;
    if (typeof draft === "string" && draft !== "") yield draft;
  }
}
