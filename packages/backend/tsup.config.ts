// Builds @anneal/backend (ESM, Node only); the native addon stays in native/build. The built
// playground (@anneal/playground, built first by `pnpm build`) is copied to dist/playground.
import { cpSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { defineConfig } from "tsup";

function copyPlayground(): void {
  const built = join(dirname(createRequire(import.meta.url).resolve("@anneal/playground/package.json")), "dist");
  if (!existsSync(join(built, "index.html"))) {
    throw new Error(`${built} has no built playground: run \`pnpm build\` at the repository root`);
  }
  cpSync(built, "dist/playground", { recursive: true });
}

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "commands/index": "src/commands/index.ts",
    "bin/train": "src/bin/train.ts",
    "bin/eval": "src/bin/eval.ts",
    "bin/convert": "src/bin/convert.ts",
    "bin/serve": "src/bin/serve.ts",
    "bin/pull": "src/bin/pull.ts",
  },
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
  onSuccess: async () => copyPlayground(),
});
