// Where a bench writes its JSON. The figures quoted in the READMEs come from the CI-class machine
// (AVX-512 with VNNI): its runs write bench/results/<name>.json; a run on a CPU whose int8 products
// take another path (AVX2, portable) writes <name>-<path>.json beside it instead of overwriting them.
import { mkdirSync } from "node:fs";
import { native } from "../../packages/backend/src/native";

export function resultFile(name: string): URL {
  const path = native().cpuInfo().int8;
  const results = new URL("../results/", import.meta.url);
  mkdirSync(results, { recursive: true });
  return new URL(`${name}${path === "vnni" ? "" : `-${path}`}.json`, results);
}
