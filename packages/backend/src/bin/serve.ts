// anneal-serve: `anneal serve` without the CLI (the options are defined in ../commands/serve.ts).

import { runCommand } from "../commands/run-command";
import { serveCommand } from "../commands/serve";

process.exitCode = await runCommand(serveCommand("anneal-serve"), process.argv.slice(2), "anneal-serve");
