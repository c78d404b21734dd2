// `anneal convert` (and the `anneal-convert` bin): a checkpoint folder as one GGUF file, as
// llama.cpp's tools (llama-diffusion-cli) and our own loader read it, optionally quantized.
import { existsSync, statSync } from "node:fs";
import { Command, Option } from "commander";
import { exportGguf, GGUF_EXPORT_TYPES, type GgufExportType } from "../checkpoint/gguf-export";
import { hubIdOf } from "../checkpoint/hub-cache";
import { locateModel } from "../checkpoint/load";
import { defaultModelDir } from "../default-model";
import { progressLines } from "./download-progress";
import { UsageError } from "./usage-error";

interface ConvertFlags {
  model?: string;
  offline?: boolean;
  out: string;
  type: GgufExportType;
}

export function convertCommand(name = "anneal convert"): Command {
  return new Command(name)
    .description(
      "Write a checkpoint folder as a GGUF file (llama.cpp's layout), optionally quantized; or requantize a GGUF file.",
    )
    .option(
      "--model <path>",
      "checkpoint folder, Hugging Face id, or a .gguf file to requantize (default: the built-in model)",
    )
    .option("--offline", "never download: a Hub id must be in the local cache (also HF_HUB_OFFLINE=1)")
    .requiredOption("--out <file.gguf>", "the GGUF file to write (replaced atomically if it exists)")
    .addOption(
      new Option("--type <type>", "matrix type: auto keeps the checkpoint's dtype; q4_k_m is llama.cpp's mix")
        .choices(GGUF_EXPORT_TYPES)
        .default("auto"),
    )
    .action(async (flags: ConvertFlags) => {
      const given = flags.model ?? defaultModelDir();
      if (!given) throw new UsageError("no --model given and the built-in model is missing");
      const hub = { ...(flags.offline ? { offline: true } : {}), onProgress: progressLines(logLine) };
      const dir = hubIdOf(given) ? await locateModel(given, hub) : given;
      const gguf = dir.endsWith(".gguf") && existsSync(dir) && statSync(dir).isFile();
      if (!gguf && (!existsSync(dir) || !statSync(dir).isDirectory())) {
        throw new UsageError(
          `--model ${given}: ${existsSync(dir) ? "not a checkpoint folder or .gguf file" : "no such folder"}`,
        );
      }
      if (gguf && flags.type === "auto") {
        throw new UsageError(`--model ${given} is a GGUF file already: name the --type to requantize it to`);
      }
      if (!flags.out.endsWith(".gguf")) throw new UsageError(`--out ${flags.out}: the file name must end in .gguf`);
      const summary = exportGguf(dir, flags.out, flags.type);
      const types = Object.entries(summary.tensorTypes)
        .map(([dtype, count]) => `${count} ${dtype}`)
        .join(", ");
      process.stdout.write(
        `${summary.file}: ${(summary.bytes / 2 ** 20).toFixed(1)} MiB, ${summary.type} (tensors: ${types})\n`,
      );
    });
}

const logLine = (line: string) => process.stderr.write(`${line}\n`);
