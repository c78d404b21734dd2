// The built-in model's quality/speed table (`pnpm bench`): held-out masked-token accuracy and
// single-line infilling exact match with tokens per forward, per sampler setting. Writes
// bench/results/default-model.json (the same figures as the model card).
import { defaultModelDir, loadCheckpoint } from "@anneal/backend";
import { collectDocuments, splitHeldOut, workspacePackageRoots } from "../packages/backend/src/train/corpus";
import { evaluateModel } from "../packages/backend/src/train/evaluate-model";
import { writeResults } from "./support/write-results";

const dir = defaultModelDir();
if (!dir) throw new Error("the built-in model is missing");
const workspace = new URL("..", import.meta.url).pathname;
const { heldOut } = splitHeldOut(collectDocuments(workspacePackageRoots(workspace)), 0.02);
const started = performance.now();
const checkpoint = await loadCheckpoint(dir, { threads: 2 });
const evaluation = await evaluateModel(checkpoint, {
  documents: heldOut,
  cases: Number(process.env.BENCH_CASES ?? 40),
});
const seconds = (performance.now() - started) / 1000;
console.log(`held-out masked-token accuracy ${(evaluation.heldOutAccuracy * 100).toFixed(1)} %`);
for (const r of evaluation.infill) {
  console.log(
    `${r.setting}: infill exact match ${(r.exactMatch * 100).toFixed(1)} % (${r.cases} lines), ${r.tokensPerForward.toFixed(2)} tokens/forward`,
  );
}
writeResults("default-model", {
  measured: new Date().toISOString(),
  model: dir.split("/").at(-1),
  seconds: Math.round(seconds),
  ...evaluation,
});
