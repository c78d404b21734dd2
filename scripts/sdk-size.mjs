// Measures @anneal/sdk's ESM entry minified + gzipped, without and with its dependencies;
// prints a table and writes bench/results/sdk-size.json (keeping the `before` entry recorded there, the
// size when the SDK still sent requests through the `openai` package). Run after `pnpm build`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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

const sdkPackage = JSON.parse(readFileSync(new URL("../packages/sdk/package.json", import.meta.url), "utf8"));
const dependencies = Object.keys(sdkPackage.dependencies ?? {});
const resultsFile = new URL("../bench/results/sdk-size.json", import.meta.url);
const earlier = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, "utf8")) : {};

const results = {
  measured: new Date().toISOString(),
  entry: "packages/sdk/dist/index.js",
  dependencies,
  sdkOnly: await measure(dependencies.flatMap((name) => [name, `${name}/*`])),
  withDependencies: await measure([]),
  ...(earlier.before ? { before: earlier.before } : {}),
};

mkdirSync(new URL("../bench/results/", import.meta.url), { recursive: true });
writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log(
  `@anneal/sdk ESM, minified + gzipped: ${kb(results.sdkOnly.gzipped)} (${kb(results.sdkOnly.minified)} minified)`,
);
console.log(`with ${dependencies.join(", ")}: ${kb(results.withDependencies.gzipped)}`);
if (results.before) console.log(`before (${results.before.note}): ${kb(results.before.withDependencies.gzipped)}`);
