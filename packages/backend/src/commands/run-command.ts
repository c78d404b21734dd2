// Runs a backend command as a program (`anneal-serve`, or `anneal serve` from the CLI): usage errors
// are one line and exit code 2, failures one line and exit code 1, never a stack trace.
import { type Command, CommanderError } from "commander";
import { UsageError } from "./usage-error";

/** Parses `args` (without node and script) and runs the command; resolves to the exit code. */
export async function runCommand(command: Command, args: string[], prefix: string): Promise<number> {
  command.exitOverride().configureOutput({ outputError: () => {} });
  try {
    await command.parseAsync(args, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help
      process.stderr.write(`${prefix}: ${error.message.replace(/^error: /, "")}\n`);
      return 2;
    }
    process.stderr.write(`${prefix}: ${(error as Error).message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
