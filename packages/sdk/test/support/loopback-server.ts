// A real HTTP server on 127.0.0.1 for tests that must see the socket close (msw tees mocked bodies,
// so a client's cancel never reaches the mock's stream).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface LoopbackServer {
  baseURL: string;
  /** Resolves when the client has closed the connection of the latest request. */
  clientClosed(): Promise<void>;
  close(): Promise<void>;
}

export async function startLoopbackServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<LoopbackServer> {
  let closed: Promise<void> = Promise.resolve();
  const server = createServer((request, response) => {
    closed = new Promise((resolve) => response.on("close", () => resolve()));
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    clientClosed: () => closed,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes the first `frames` and then keeps the stream open, sending nothing more. */
export function stallingStream(frames: string[]) {
  return (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    for (const frame of frames) response.write(frame);
  };
}
