// anneal-train: `anneal train` without the CLI (the options are defined in ../commands/train.ts).

import { runCommand } from "../commands/run-command";
import { trainCommand } from "../commands/train";

process.exitCode = await runCommand(trainCommand("anneal-train"), process.argv.slice(2), "anneal-train");
