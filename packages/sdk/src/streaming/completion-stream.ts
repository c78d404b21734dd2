// A streamed completion: async-iterable chunks plus helpers for drafts, the final text and the final response.
import { APIUserAbortError, MercuryError } from "../errors";
import type { ChatCompletion, ChatCompletionChunk } from "../schema/chat";
import type { Usage } from "../schema/common";
import type { FimCompletion, FimCompletionChunk } from "../schema/fim";
import type { AbortScope } from "../transport/abort-scope";
import type { Accumulator } from "./accumulator";

export class CompletionStream<TChunk, TFinal> implements AsyncIterable<TChunk> {
  readonly response: Response;
  readonly #payloads: AsyncGenerator<unknown, void, undefined>;
  readonly #accumulator: Accumulator<TChunk, TFinal>;
  readonly #scope: AbortScope;
  #started = false;
  #finished = false;

  /** @internal Built by the resources; use `create({ stream: true })`. */
  constructor(
    response: Response,
    payloads: AsyncGenerator<unknown, void, undefined>,
    accumulator: Accumulator<TChunk, TFinal>,
    scope: AbortScope,
  ) {
    this.response = response;
    this.#payloads = payloads;
    this.#accumulator = accumulator;
    this.#scope = scope;
  }

  /** Chunks as they arrive. Breaking out of the loop closes the connection. */
  async *[Symbol.asyncIterator](): AsyncGenerator<TChunk, void, undefined> {
    if (this.#started) throw new MercuryError("This stream has already been read; a stream can be read once.");
    this.#started = true;
    for await (const payload of this.#payloads) {
      const chunk = payload as TChunk;
      this.#accumulator.add(chunk);
      yield chunk;
    }
    this.#finished = true;
  }

  /**
   * The whole text after every chunk that changed it. For `diffusing` streams each value is a
   * complete draft that replaces the previous one; the last value is the answer.
   */
  async *drafts(): AsyncGenerator<string, void, undefined> {
    for await (const chunk of this) {
      if (this.#accumulator.changesText(chunk)) yield this.#accumulator.text;
    }
  }

  /** Reads the stream to the end and returns the response a non-streaming call would have returned. */
  async finalResponse(): Promise<TFinal> {
    if (!this.#started) for await (const _ of this);
    if (!this.#finished) throw new MercuryError("The stream was not read to the end, so there is no final response.");
    return this.#accumulator.result();
  }

  /** Reads the stream to the end and returns the answer's text. */
  async finalText(): Promise<string> {
    await this.finalResponse();
    return this.#accumulator.text;
  }

  /** Token usage, once the server has sent it (the SDK asks for it by default). */
  get usage(): Usage | undefined {
    return this.#accumulator.usage;
  }

  get requestID(): string | null {
    return this.response.headers.get("x-request-id");
  }

  /** The controller of the underlying request. */
  get controller(): AbortController {
    return this.#scope.controller;
  }

  /** Cancels the request; a loop reading the stream then throws `APIUserAbortError`. */
  abort(): void {
    this.#scope.abort(new APIUserAbortError());
  }
}

/** A chat, next-edit or apply-edit stream. */
export type ChatCompletionStream = CompletionStream<ChatCompletionChunk, ChatCompletion>;
/** A FIM stream (`choices[].text` appended). */
export type FimCompletionStream = CompletionStream<FimCompletionChunk, FimCompletion>;
