// Where a bench's JSON goes. The figures quoted in the READMEs come from the CI-class machine (AVX-512
// with VNNI): its runs write bench/results/<name>.json; a run on a CPU whose int8 products take another
// path (AVX2, portable) writes <name>-<path>.json beside it instead of overwriting them.
import { mkdirSync, writeFileSync } from "node:fs";
import { native } from "../../packages/backend/src/native";

export function writeResults(name: string, results: unknown): void {
  const path = native().cpuInfo().int8;
  const folder = new URL("../results/", import.meta.url);
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    new URL(`${name}${path === "vnni" ? "" : `-${path}`}.json`, folder),
    `${JSON.stringify(results, null, 2)}\n`,
  );
}
