// anneal-convert: `anneal convert` without the CLI (the options are defined in ../commands/convert.ts).
import { convertCommand } from "../commands/convert";
import { runCommand } from "../commands/run-command";

process.exitCode = await runCommand(convertCommand("anneal-convert"), process.argv.slice(2), "anneal-convert");
