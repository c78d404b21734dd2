// Where the built-in model lives: packages/backend/models/<name>, next to src/ and dist/.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const DEFAULT_MODEL_NAME = "anneal-code-11m";

/** The built-in model's folder, or undefined when it is not there. */
export function defaultModelDir(): string | undefined {
  const dir = fileURLToPath(new URL(`../models/${DEFAULT_MODEL_NAME}`, import.meta.url));
  return existsSync(dir) ? dir : undefined;
}
