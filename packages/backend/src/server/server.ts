// createServer(): the Mercury-style API over Anneal's engine (fastify). Models load after the
// server starts listening; /health answers 503 until they are ready.
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import type { HubLoadOptions } from "../checkpoint/hub-download";
import type { QuantizeChoice } from "../checkpoint/load";
import type { Bf16Products, Device } from "../native";
import { playgroundDir } from "../playground-dir";
import { Admission } from "./admission";
import { ApiKeys, publicRoutes } from "./auth";
import type { HandlerContext } from "./completion-handler";
import { SERVER_DEFAULTS } from "./defaults";
import { HttpError, shuttingDown } from "./http-error";
import { boundedHttpServer, clientErrorHandler, drainRequest, frameworkErrorHandler } from "./http-hardening";
import { ServerMetrics } from "./metrics";
import { ModelRegistry, type ModelSource } from "./model-registry";
import { playgroundRoutes } from "./playground-routes";
import { completionRoutes } from "./routes/completions";
import { modelRoutes } from "./routes/models";

export interface ServerOptions {
  models: ModelSource[];
  /** Bearer keys; none = no authentication. An empty string is refused (it would turn authentication off). */
  apiKeys?: string[];
  /** Serve /metrics without a key even when keys are set. Default false (/health is always public). */
  publicMetrics?: boolean;
  /** Generations that run at once (their forward passes are batched together). */
  maxConcurrent?: number;
  /** Requests that may wait for a slot; beyond that 429. */
  maxQueue?: number;
  /** Largest max_tokens. */
  maxTokens?: number;
  /** Request bodies larger than this are refused with 413. */
  bodyLimit?: number;
  /** A generation still running after this is stopped (504, or an error in the stream). */
  requestTimeoutMs?: number;
  /** On shutdown, in-flight generations get this long to finish before they are stopped (503 to their clients). */
  shutdownGraceMs?: number;
  /** A client must send its headers within this time, and its whole request within the next (408 and closed). */
  headersTimeoutMs?: number;
  requestReadTimeoutMs?: number;
  /** Engine threads per model; default one per core. */
  threads?: number;
  /** Where models run: "auto" (default: CUDA when a capable GPU answers, else the CPU), "cpu" or "cuda". */
  device?: Device;
  /** Quantize float weights at load (CPU engine). */
  quantize?: QuantizeChoice;
  /** BF16 matrices on the CPU: the dot-product instruction (default where present) or widened. */
  bf16?: Bf16Products;
  /** Models named by Hub id: offline mode, download progress, endpoint and token. */
  hub?: HubLoadOptions;
  /** Serve the web playground at / and /playground/. Default true. */
  ui?: boolean;
  /** pino logging: false, true, or pino options. Default false. */
  logger?: boolean | Record<string, unknown>;
}

export interface AnnealServer {
  app: FastifyInstance;
  registry: ModelRegistry;
  metrics: ServerMetrics;
  /** Resolves when every model is loaded (rejects if one fails to load). */
  ready: Promise<void>;
  /** Starts listening; resolves to the address. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, lets generations finish (up to the grace period), cancels the rest, closes. */
  close(): Promise<void>;
}

export function createServer(options: ServerOptions): AnnealServer {
  const defaults = SERVER_DEFAULTS;
  const keys = new ApiKeys(options.apiKeys ?? []); // throws on an empty key, before anything listens
  const app = Fastify({
    logger:
      options.logger === undefined || options.logger === false
        ? false
        : { ...(options.logger === true ? {} : options.logger), redact: ["req.headers.authorization"] },
    bodyLimit: options.bodyLimit ?? defaults.bodyLimit,
    serverFactory: boundedHttpServer(options),
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && /^[\w.-]{1,64}$/.test(given)
        ? given
        : `req_${randomUUID().replaceAll("-", "")}`;
    },
  });
  const metrics = new ServerMetrics();
  const registry = new ModelRegistry();
  const open = publicRoutes(options);
  // The page is public (it asks for the key itself); the API it calls is not.
  const pageRoutes: ReadonlySet<string> = options.ui === false ? new Set() : playgroundRoutes(app, playgroundDir());
  const admission = new Admission(
    options.maxConcurrent ?? defaults.maxConcurrent,
    options.maxQueue ?? defaults.maxQueue,
  );
  const shutdown = new AbortController();
  let closing = false;
  const context: HandlerContext = {
    admission,
    metrics,
    requestTimeoutMs: options.requestTimeoutMs ?? defaults.requestTimeoutMs,
    shutdown: shutdown.signal,
  };
  const maxTokens = options.maxTokens ?? defaults.maxTokens;

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
    // The route the router matched, whatever the raw URL looked like; undefined for no route (404).
    const route = request.routeOptions.url;
    if (route !== undefined && (open.has(route) || pageRoutes.has(route))) return;
    if (!keys.allows(request.headers.authorization)) {
      throw new HttpError(
        401,
        "Invalid or missing API key: send Authorization: Bearer <key>.",
        "authentication_error",
        "invalid_api_key",
      );
    }
    if (route === undefined) return; // the 404 handler answers
    if (closing) throw shuttingDown();
    if (!registry.loaded)
      throw new HttpError(503, "The model is still loading.", "unavailable_error", "loading", null, {
        "retry-after": "1",
      });
    if (request.method === "POST" && !/^application\/(.+\+)?json\b/i.test(request.headers["content-type"] ?? "")) {
      throw new HttpError(
        415,
        "Send JSON: Content-Type: application/json.",
        "invalid_request_error",
        "unsupported_media_type",
      );
    }
  });
  app.addHook("onResponse", async (request, reply) => {
    metrics.requests.inc({ endpoint: request.routeOptions.url ?? "unknown", status: String(reply.statusCode) });
  });
  app.setErrorHandler(async (error: FastifyError | HttpError, request, reply) => {
    const http = toHttpError(error);
    if (http.status >= 500) request.log.error({ err: error }, "request failed");
    if (http.status === 413) {
      // The client is still sending: read the rest (bounded) so it can read this answer, then close.
      await drainRequest(request.raw);
      reply.header("connection", "close");
    }
    return reply.status(http.status).headers(http.headers).send(http.body());
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(
        new HttpError(
          404,
          `No route for ${request.method} ${request.url}.`,
          "invalid_request_error",
          "not_found",
        ).body(),
      ),
  );

  app.get("/health", async (_request, reply) =>
    registry.loaded
      ? { status: "ok", models: registry.models.map((m) => m.id) }
      : reply
          .status(503)
          .header("retry-after", "1")
          .send(new HttpError(503, "Loading model", "unavailable_error", "loading").body()),
  );
  app.get("/metrics", async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  modelRoutes(app, registry, maxTokens);
  completionRoutes(
    app,
    registry,
    { maxTokens, defaultChatTokens: Math.min(256, maxTokens), defaultFimTokens: Math.min(64, maxTokens) },
    context,
  );

  const ready = registry.load(options.models, metrics, {
    threads: options.threads ?? 0,
    device: options.device ?? "auto",
    ...(options.quantize ? { quantize: options.quantize } : {}),
    ...(options.bf16 ? { bf16: options.bf16 } : {}),
    ...(options.hub ? { hub: options.hub } : {}),
  });
  ready.catch((error: unknown) => app.log.error({ err: error }, "model loading failed"));

  const until = async (done: () => boolean, deadline: number) => {
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  return {
    app,
    registry,
    metrics,
    ready,
    async listen(port: number = defaults.port, host: string = defaults.host) {
      return app.listen({ port, host });
    },
    async close() {
      closing = true; // new requests on open connections get 503 with retry-after
      app.server.close(); // stop accepting connections
      app.server.closeIdleConnections();
      await until(() => admission.running === 0, Date.now() + (options.shutdownGraceMs ?? defaults.shutdownGraceMs));
      // Past the grace: every generation stops at its next step, and its client is told why.
      shutdown.abort(new Error("server shutting down"));
      await until(() => admission.running === 0, Date.now() + 2_000);
      // Slow or idle clients (half-sent headers or bodies included) must not hold the process.
      app.server.closeAllConnections();
      await app.close();
    },
  };
}

/** Fastify's own errors (bad JSON, wrong content type, body too large) in the OpenAI shape. */
function toHttpError(error: FastifyError | HttpError): HttpError {
  if (error instanceof HttpError) return error;
  const status = error.statusCode ?? 500;
  if (status === 413)
    return new HttpError(413, "The request body is too large.", "invalid_request_error", "payload_too_large");
  if (status === 415)
    return new HttpError(
      415,
      "Send JSON: Content-Type: application/json.",
      "invalid_request_error",
      "unsupported_media_type",
    );
  if (status >= 400 && status < 500)
    return new HttpError(status, error.message, "invalid_request_error", "invalid_request");
  return new HttpError(500, "The server failed to handle the request.", "server_error", "server_error");
}
