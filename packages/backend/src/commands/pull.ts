// `anneal models pull ID` (and the `anneal-pull` bin): downloads a Hub model into the local Hugging
// Face cache, where `serve --model ID` and Python tools find it, with a progress bar on a terminal.
import { Command } from "commander";
import { parseHubId } from "../checkpoint/hub-cache";
import { resolveHubModel } from "../checkpoint/hub-download";
import { progressBar, progressLines } from "./download-progress";
import { UsageError } from "./usage-error";

export function pullCommand(name = "anneal models pull"): Command {
  return new Command(name)
    .description(
      "Download a model from the Hugging Face Hub into the local cache (HF_HUB_CACHE, HF_HOME/hub or ~/.cache/huggingface/hub).",
    )
    .argument("<id>", "org/name[@revision][:pattern], e.g. GSAI-ML/LLaDA-8B-Instruct or org/model-GGUF:Q4_K_M")
    .addHelpText(
      "after",
      "\nGated repos need HF_TOKEN (or a saved `huggingface-cli login`); HF_ENDPOINT names another Hub.\nAn interrupted download resumes where it stopped when run again.",
    )
    .action(async (text: string) => {
      const id = parseHubId(text);
      if (!id) throw new UsageError(`${text}: not a Hub id (org/name[@revision][:pattern])`);
      const bar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;
      const report = bar?.report ?? progressLines((line) => process.stderr.write(`${line}\n`));
      try {
        const path = await resolveHubModel(text, id, { onProgress: report });
        bar?.stop();
        process.stdout.write(`${path}\n`);
      } finally {
        bar?.stop();
      }
    });
}
