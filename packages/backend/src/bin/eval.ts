// anneal-eval: `anneal eval` without the CLI (the options are defined in ../commands/eval.ts).
import { evalCommand } from "../commands/eval";
import { runCommand } from "../commands/run-command";

process.exitCode = await runCommand(evalCommand("anneal-eval"), process.argv.slice(2), "anneal-eval");
