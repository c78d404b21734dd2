// What a stream helper needs from an accumulator: fold chunks in, read the text and the final response.
import type { Usage } from "../schema/common";

export interface Accumulator<TChunk, TFinal> {
  add(chunk: TChunk): void;
  /** The current text of the first choice. */
  readonly text: string;
  /** Whether `chunk` changed that text (drives `drafts()`). */
  changesText(chunk: TChunk): boolean;
  /** Usage, once the usage chunk has arrived. */
  readonly usage: Usage | undefined;
  /** The response as a non-streaming call would have returned it. */
  result(): TFinal;
}
