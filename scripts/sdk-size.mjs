// Measures @anneal/sdk's ESM entry minified + gzipped, without and with its dependencies;
// prints a table and writes bench/results/sdk-size.json. Run after `pnpm build`.
import { mkdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const entry = new URL("../packages/sdk/dist/index.js", import.meta.url).pathname;

async function measure(external) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    external,
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

const results = {
  measured: new Date().toISOString(),
  entry: "packages/sdk/dist/index.js",
  sdkOnly: await measure(["openai", "openai/*", "zod", "zod/*", "eventsource-parser"]),
  withDependencies: await measure([]),
};

mkdirSync(new URL("../bench/results/", import.meta.url), { recursive: true });
writeFileSync(new URL("../bench/results/sdk-size.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log(
  `@anneal/sdk ESM, minified + gzipped: ${kb(results.sdkOnly.gzipped)} (${kb(results.sdkOnly.minified)} minified)`,
);
console.log(`with openai, zod and eventsource-parser: ${kb(results.withDependencies.gzipped)}`);
