// The web playground at /playground/ (and / redirecting there): its built files served by
// @fastify/static, one route per file (nothing else under the prefix reaches the file system),
// precompressed copies where the client takes them, and a strict content security policy.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";
import { HttpError } from "./http-error";

export const PLAYGROUND_PREFIX = "/playground/";

/**
 * What the page may do: its own scripts, styles and API only. Inline styles are not needed (the
 * canvas sets CSS variables through the CSSOM), and no framing, so no clickjacking of a key prompt.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Registers the playground's routes and returns them (they are public: the page itself asks for
 * the API key). Without built files, / and /playground/ answer 404 saying how to build them.
 */
export function playgroundRoutes(app: FastifyInstance, root: string | undefined): ReadonlySet<string> {
  const routes = new Set<string>(["/", "/playground"]);
  app.get("/", (_request, reply) => reply.redirect("playground/", 302));
  app.get("/playground", (_request, reply) => reply.redirect("playground/", 302));
  if (root === undefined) {
    routes.add(PLAYGROUND_PREFIX);
    app.get(PLAYGROUND_PREFIX, (_request, reply) => {
      const error = new HttpError(
        404,
        "The playground is not built: run `pnpm build` in the repository (or start with --no-ui).",
        "invalid_request_error",
        "not_found",
      );
      return reply.status(404).send(error.body());
    });
    return routes;
  }
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith(PLAYGROUND_PREFIX)) routes.add(route.url);
  });
  // The page itself is answered from memory: @fastify/static 10.1's folder-index route answers 404
  // to clients that accept gzip or brotli (every browser) when preCompressed is on.
  const page = readFileSync(join(root, "index.html"));
  app.get(PLAYGROUND_PREFIX, (_request, reply) => securityHeaders(reply).type("text/html; charset=utf-8").send(page));
  void app.register(fastifyStatic, {
    root,
    prefix: PLAYGROUND_PREFIX,
    wildcard: false,
    preCompressed: true,
    decorateReply: false,
    dotfiles: "ignore",
    index: false,
    // File names are not hashed: let the browser keep them but always ask whether they changed.
    cacheControl: false,
    setHeaders: securityHeaders,
  });
  return routes;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply.headers({
    "cache-control": "no-cache",
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
  });
}
