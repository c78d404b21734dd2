// @anneal/backend/commands: `serve`, `train`, `eval`, `convert` and `models pull` as commander commands, for the `anneal` CLI
// and the package's own bins. Kept apart from the library entry so importing the library stays light.
export { convertCommand } from "./convert";
export { evalCommand } from "./eval";
export { pullCommand } from "./pull";
export { runCommand } from "./run-command";
export { serveCommand } from "./serve";
export { trainCommand } from "./train";
export { UsageError } from "./usage-error";
