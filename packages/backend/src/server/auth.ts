// Optional API keys: `Authorization: Bearer <key>` compared in constant time; keys are never logged.
import { createHash, timingSafeEqual } from "node:crypto";

export class ApiKeys {
  readonly #digests: Buffer[];

  /** Throws on an empty key: an empty key must never quietly turn authentication off. */
  constructor(keys: string[]) {
    if (keys.some((key) => key.trim() === "")) {
      throw new Error("an API key is empty; give a non-empty key, or none to serve without authentication");
    }
    this.#digests = keys.map((key) => digest(key.trim()));
  }

  get enabled(): boolean {
    return this.#digests.length > 0;
  }

  /** Whether the Authorization header carries one of the keys (always true when none are set). */
  allows(authorization: string | undefined): boolean {
    if (!this.enabled) return true;
    const match = /^Bearer\s+(.+)$/i.exec(authorization ?? "");
    if (!match) return false;
    const candidate = digest((match[1] as string).trim());
    // Hashes have equal length, so timingSafeEqual applies; every key is compared.
    return this.#digests.reduce((found, key) => timingSafeEqual(key, candidate) || found, false);
  }
}

/**
 * The routes anyone may call. Authentication is decided on the route the router matched, never on
 * the raw URL: percent-encoding (`/%761/models`), absolute-form targets (`http://host/v1/models`),
 * doubled slashes or dot segments all reach a route only through the router, so they meet the same check.
 */
export function publicRoutes(options: { publicMetrics?: boolean | undefined }): ReadonlySet<string> {
  return new Set(["/health", ...(options.publicMetrics ? ["/metrics"] : [])]);
}

function digest(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}
