// Bundles what the GPU machine runs under Node into single files (it has no node_modules): the
// server, the GPU tests and the server's end-to-end tests (vitest's API mapped onto node:test by
// vitest-on-node-test.mjs), and the server benchmark. Called by bench/device-pack.sh.
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = fileURLToPath(new URL("../../", import.meta.url));
const outdir = process.argv[2];
if (!outdir) throw new Error("usage: node bench/device/bundle.mjs OUTDIR");

/** Bundle name → entry, relative to the repository root. */
export const ENTRIES = {
  serve: "packages/backend/src/bin/serve.ts",
  "cuda.test": "packages/backend/test/cuda.test.ts",
  "server-api.e2e.test": "test/server-api.e2e.test.ts",
  "server-limits.e2e.test": "test/server-limits.e2e.test.ts",
  "bench-server": "bench/server.ts",
  "random-8b": "bench/device/random-8b.ts",
};

await esbuild.build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, path]) => [name, path])),
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true, // the shared server code once, not in every bundle
  format: "esm",
  platform: "node",
  target: "node20",
  minifySyntax: true,
  alias: { vitest: "./bench/device/vitest-on-node-test.mjs" },
  // CommonJS dependencies inside an ES module bundle still call require() and read __dirname.
  banner: {
    js: [
      "import { createRequire as __annealRequire } from 'node:module';",
      "import { dirname as __annealDirname } from 'node:path';",
      "import { fileURLToPath as __annealPath } from 'node:url';",
      "const require = __annealRequire(import.meta.url);",
      "const __filename = __annealPath(import.meta.url);",
      "const __dirname = __annealDirname(__filename);",
    ].join(" "),
  },
  logLevel: "warning",
});
