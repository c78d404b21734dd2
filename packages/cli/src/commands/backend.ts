// anneal serve / train / eval / convert / models pull: the backend's own commands (its options, defaults and help), run in
// this process with the arguments exactly as typed. The backend is an optional peer: a terminal client
// installs without compiling the C++ engine, and says how to get it when one of these is used.
import { UsageError } from "../exit-codes";

export type BackendCommandName = "serve" | "train" | "eval" | "convert" | "pull";

/** Runs `anneal <name> ...args`; resolves to the exit code. */
export async function runBackend(name: BackendCommandName, args: string[]): Promise<number> {
  let commands: typeof import("@anneal/backend/commands");
  try {
    commands = await import("@anneal/backend/commands");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && String(error).includes("@anneal/backend")) {
      throw new UsageError(
        `${name === "pull" ? "models pull" : name} needs the self-hosted backend, which is not installed: npm install -g @anneal/backend (it builds the engine with cmake and a C++17 compiler)`,
      );
    }
    throw error;
  }
  const command = {
    serve: commands.serveCommand,
    train: commands.trainCommand,
    eval: commands.evalCommand,
    convert: commands.convertCommand,
    pull: commands.pullCommand,
  }[name];
  return commands.runCommand(command(`anneal ${name === "pull" ? "models pull" : name}`), args, "anneal");
}
