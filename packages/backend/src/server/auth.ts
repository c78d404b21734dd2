// Optional API keys: `Authorization: Bearer <key>` compared in constant time; keys are never logged.
import { createHash, timingSafeEqual } from "node:crypto";

export class ApiKeys {
  readonly #digests: Buffer[];

  constructor(keys: string[]) {
    this.#digests = keys.filter(Boolean).map(digest);
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

function digest(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}
