#!/usr/bin/env node
// anneal-eval: held-out masked-token accuracy and single-line infilling of a checkpoint, as JSON.
import { parseArgs } from "node:util";
import { loadCheckpoint } from "../checkpoint/load";
import { collectDocuments, splitHeldOut } from "../train/corpus";
import { evaluateModel } from "../train/evaluate-model";

const USAGE = `usage: anneal-eval --model DIR --data DIR [--data DIR ...] [--cases N] [--held-out-fraction X]

Evaluates on the held-out split of the data (the same split training used: by file hash).
`;

try {
  const { values } = parseArgs({
    options: {
      model: { type: "string" },
      data: { type: "string", multiple: true },
      cases: { type: "string" },
      "held-out-fraction": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (!values.model || !values.data?.length) throw new Error("--model and --data are required");
  const fraction = Number(values["held-out-fraction"] ?? 0.02);
  const { heldOut } = splitHeldOut(collectDocuments(values.data), fraction);
  if (heldOut.length === 0)
    throw new Error("the held-out split is empty; pass more data or a larger --held-out-fraction");
  const checkpoint = await loadCheckpoint(values.model);
  const result = await evaluateModel(checkpoint, { documents: heldOut, cases: Number(values.cases ?? 40) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} catch (error) {
  process.stderr.write(`anneal-eval: ${(error as Error).message}\n${USAGE}`);
  process.exit(1);
}
