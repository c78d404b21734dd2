// Where the built playground lives: packages/backend/dist/playground, copied there by the build
// (tsup.config.ts) from @anneal/playground; found the same way from src/ and from dist/.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The playground's folder, or undefined when it has not been built. */
export function playgroundDir(): string | undefined {
  const dir = fileURLToPath(new URL("../dist/playground/", import.meta.url));
  return existsSync(join(dir, "index.html")) ? dir : undefined;
}
