// anneal-pull: `anneal models pull` without the CLI (the options are defined in ../commands/pull.ts).
import { pullCommand } from "../commands/pull";
import { runCommand } from "../commands/run-command";

process.exitCode = await runCommand(pullCommand("anneal-pull"), process.argv.slice(2), "anneal-pull");
