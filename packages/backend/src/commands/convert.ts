// `anneal convert` (and the `anneal-convert` bin): a checkpoint folder as one GGUF file, as
// llama.cpp's tools (llama-diffusion-cli) and our own loader read it, optionally quantized.
import { existsSync, statSync } from "node:fs";
import { Command, Option } from "commander";
import { exportGguf, GGUF_EXPORT_TYPES, type GgufExportType } from "../checkpoint/gguf-export";
import { defaultModelDir } from "../default-model";
import { UsageError } from "./usage-error";

interface ConvertFlags {
  model?: string;
  out: string;
  type: GgufExportType;
}

export function convertCommand(name = "anneal convert"): Command {
  return new Command(name)
    .description("Write a checkpoint folder as a GGUF file (llama.cpp's layout), optionally quantized.")
    .option("--model <dir>", "checkpoint folder (default: the built-in model)")
    .requiredOption("--out <file.gguf>", "the GGUF file to write (replaced atomically if it exists)")
    .addOption(
      new Option("--type <type>", "matrix type: auto keeps the checkpoint's dtype; q4_k_m is llama.cpp's mix")
        .choices(GGUF_EXPORT_TYPES)
        .default("auto"),
    )
    .action((flags: ConvertFlags) => {
      const dir = flags.model ?? defaultModelDir();
      if (!dir) throw new UsageError("no --model given and the built-in model is missing");
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--model ${dir}: no such folder`);
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
