// What the server does with requests that never reach a route: malformed HTTP, URLs the router
// refuses, bodies over the limit. Every answer has the OpenAI error shape, and where the request could
// not be framed the connection is closed (a client must not reuse a socket in an unknown state).
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { SERVER_DEFAULTS } from "./defaults";
import { HttpError } from "./http-error";

/** Bytes of an oversized body read and thrown away so that the client can read our 413. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;
/** How long that reading may take before the connection is dropped anyway. */
const DRAIN_TIME_MS = 5_000;

export interface ReadTimeouts {
  headersTimeoutMs?: number | undefined;
  requestReadTimeoutMs?: number | undefined;
}

/** Node's HTTP server with bounded header and request read times, checked every second. */
export function boundedHttpServer(timeouts: ReadTimeouts) {
  return (handler: (req: IncomingMessage, res: ServerResponse) => void): Server => {
    const requestTimeout = timeouts.requestReadTimeoutMs ?? SERVER_DEFAULTS.requestReadTimeoutMs;
    const server = createHttpServer(
      {
        requestTimeout,
        headersTimeout: Math.min(timeouts.headersTimeoutMs ?? SERVER_DEFAULTS.headersTimeoutMs, requestTimeout),
        connectionsCheckingInterval: 1_000,
      },
      handler,
    );
    server.keepAliveTimeout = 5_000;
    return server;
  };
}

/** Malformed HTTP (Node's parser gave up): an OpenAI-shaped 400/408/431, then the connection closes. */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, message] =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "The request was not received in time."]
      : error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "The request headers are too large."]
        : [400, "The request is not valid HTTP."];
  const body = JSON.stringify(
    new HttpError(status, message, "invalid_request_error", status === 408 ? "request_timeout" : "bad_http").body(),
  );
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  // Discard what the client still sends, so that closing does not reset the connection under our answer.
  socket.resume();
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/** URLs the router refuses (bad percent-encoding, a parameter too long): the OpenAI shape, then close. */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 400;
  reply
    .status(status)
    .header("connection", "close")
    .send(
      new HttpError(
        status,
        `The request URL is not valid: ${error.message}`,
        "invalid_request_error",
        "bad_url",
      ).body(),
    );
}

/**
 * Reads and discards the rest of an oversized body (up to a bound), so that the client, which is
 * still sending, reads our 413 instead of a connection reset.
 */
export function drainRequest(request: IncomingMessage): Promise<void> {
  if (request.complete || request.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const finish = () => {
      clearTimeout(timer);
      request.off("data", onData);
      request.off("end", finish);
      request.off("error", finish);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > DRAIN_LIMIT_BYTES) finish();
    };
    const timer = setTimeout(finish, DRAIN_TIME_MS);
    request.on("data", onData);
    request.once("end", finish);
    request.once("error", finish);
    request.resume();
  });
}
