// Builds the playground into dist/: one minified ES module, one stylesheet and the page, all served
// by `anneal serve` from @anneal/backend, with gzip and brotli copies. Prints each file's gzipped size
// (the bundle budget) and writes the sizes to dist/sizes.json.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const out = here("dist/");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await esbuild.build({
  entryPoints: { app: here("src/main.tsx") },
  outdir: out,
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: ["chrome110", "firefox115", "safari16"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "linked",
  logLevel: "warning",
});
esbuild.buildSync({
  entryPoints: { app: here("src/styles.css") },
  outdir: out,
  bundle: true,
  minify: true,
  logLevel: "warning",
});
copyFileSync(here("src/index.html"), `${out}index.html`);

// Precompressed copies: the server sends these to clients that accept them (@fastify/static preCompressed).
const sizes = {};
for (const file of ["index.html", "app.js", "app.css"]) {
  const bytes = readFileSync(`${out}${file}`);
  const gzipped = gzipSync(bytes, { level: 9 });
  const brotli = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  writeFileSync(`${out}${file}.gz`, gzipped);
  writeFileSync(`${out}${file}.br`, brotli);
  sizes[file] = { bytes: bytes.length, gzipped: gzipped.length, brotli: brotli.length };
}
writeFileSync(`${out}sizes.json`, `${JSON.stringify(sizes, null, 2)}\n`);
const total = Object.values(sizes).reduce((sum, size) => sum + size.gzipped, 0);
console.log(
  `playground: ${Object.entries(sizes)
    .map(([file, size]) => `${file} ${(size.gzipped / 1024).toFixed(1)} KiB`)
    .join(", ")} gzipped (${(total / 1024).toFixed(1)} KiB in all)`,
);
