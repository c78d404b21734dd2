// @anneal/backend/commands: `serve`, `train`, `eval` and `convert` as commander commands, for the `anneal` CLI
// and the package's own bins. Kept apart from the library entry so importing the library stays light.
export { convertCommand } from "./convert";
export { evalCommand } from "./eval";
export { runCommand } from "./run-command";
export { serveCommand } from "./serve";
export { trainCommand } from "./train";
export { UsageError } from "./usage-error";
