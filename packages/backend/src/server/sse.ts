// Server-sent events on a raw Node response: data frames, keep-alive comments, [DONE].
import type { ServerResponse } from "node:http";

export class SseWriter {
  readonly #response: ServerResponse;
  readonly #keepAlive: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(response: ServerResponse, headers: Record<string, string>, keepAliveMs = 15_000) {
    this.#response = response;
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      ...headers,
    });
    response.flushHeaders();
    // Comments keep proxies from timing out; clients ignore them (and must not count them as data).
    this.#keepAlive = setInterval(() => this.#write(": keep-alive\n\n"), keepAliveMs);
    response.on("close", () => this.#stop());
  }

  get closed(): boolean {
    return this.#closed || this.#response.destroyed;
  }

  send(payload: unknown): void {
    this.#write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  /** Ends the stream with `data: [DONE]`. */
  done(): void {
    this.#write("data: [DONE]\n\n");
    this.#stop();
    this.#response.end();
  }

  #write(chunk: string): void {
    if (!this.closed) this.#response.write(chunk);
  }

  #stop(): void {
    this.#closed = true;
    clearInterval(this.#keepAlive);
  }
}
