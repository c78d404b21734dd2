// `anneal eval` (and the `anneal-eval` bin): held-out masked-token accuracy and single-line infilling
// of a checkpoint, as JSON, on the same held-out split training used (by file hash).
import { Command, Option } from "commander";
import { loadCheckpoint, QUANTIZE_CHOICES, type QuantizeChoice } from "../checkpoint/load";
import { collectDocuments, splitHeldOut } from "../train/corpus";
import { evaluateModel } from "../train/evaluate-model";
import { progressLines } from "./download-progress";
import { collect, nonNegativeInteger, nonNegativeNumber, UsageError } from "./usage-error";

interface EvalFlags {
  model: string;
  data: string[];
  cases: number;
  heldOutFraction: number;
  quantize?: QuantizeChoice;
  offline?: boolean;
}

export function evalCommand(name = "anneal eval"): Command {
  return new Command(name)
    .description("Evaluate a checkpoint on the held-out split of the data; prints JSON.")
    .requiredOption("--model <path>", "checkpoint folder, .gguf file or Hugging Face id (org/name[@rev][:pattern])")
    .requiredOption("--data <dir>", "folder or file of .ts/.js/.md (repeatable)", collect, [])
    .option("--cases <n>", "infilling cases", nonNegativeInteger, 40)
    .option("--held-out-fraction <x>", "share of files held out", nonNegativeNumber, 0.02)
    .addOption(new Option("--quantize <type>", "quantize float weights at load").choices(QUANTIZE_CHOICES))
    .option("--offline", "never download: a Hub id must be in the local cache (also HF_HUB_OFFLINE=1)")
    .action(async (flags: EvalFlags) => {
      const { heldOut } = splitHeldOut(collectDocuments(flags.data), flags.heldOutFraction);
      if (heldOut.length === 0)
        throw new UsageError("the held-out split is empty; pass more data or a larger --held-out-fraction");
      const checkpoint = await loadCheckpoint(flags.model, {
        ...(flags.quantize ? { quantize: flags.quantize } : {}),
        hub: {
          ...(flags.offline ? { offline: true } : {}),
          onProgress: progressLines((line) => process.stderr.write(`${line}\n`)),
        },
      });
      const result = await evaluateModel(checkpoint, { documents: heldOut, cases: flags.cases });
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
