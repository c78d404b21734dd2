// Raw HTTP/1.1 over a TCP socket, for requests that fetch would normalise or refuse to send
// (percent-encoded and absolute-form targets, dot segments, malformed framing, half-sent requests).
import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent, unparsed. */
  raw: string;
  /** The socket ended with an error (e.g. ECONNRESET) instead of a clean close. */
  error: string | undefined;
}

/** Opens a connection to `origin` (http://host:port). */
export function openSocket(origin: string): Promise<Socket> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Collects what the server sends until it closes the socket or `waitMs` pass. */
export function readAll(
  socket: Socket,
  waitMs = 5_000,
): Promise<{ raw: string; error: string | undefined; closedByServer: boolean }> {
  return new Promise((resolve) => {
    let raw = "";
    let error: string | undefined;
    const done = (closedByServer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ raw, error, closedByServer });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on("data", (chunk: Buffer) => {
      raw += chunk.toString("latin1");
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.on("close", () => done(true));
  });
}

/** Parses the first response in `raw`. */
export function parseResponse(raw: string, error?: string): RawResponse {
  const [head = "", ...rest] = raw.split("\r\n\r\n");
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1] ?? 0), headers, body: rest.join("\r\n\r\n"), raw, error };
}

/** Sends one request exactly as written (`target` is put on the request line unchanged). */
export async function rawRequest(
  origin: string,
  method: string,
  target: string,
  { headers = {}, body = "" }: { headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const socket = await openSocket(origin);
  const { host } = new URL(origin);
  const lines = [`${method} ${target} HTTP/1.1`, `host: ${host}`, "connection: close"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body) lines.push(`content-length: ${Buffer.byteLength(body)}`);
  const reading = readAll(socket);
  socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`);
  const { raw, error } = await reading;
  return parseResponse(raw, error);
}
