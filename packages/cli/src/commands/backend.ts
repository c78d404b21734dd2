// anneal serve / train / eval: run the backend's own commands with the same arguments.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const backendRoot = dirname(createRequire(import.meta.url).resolve("@anneal/backend/package.json"));

/** Runs `anneal-<name>` from @anneal/backend in this terminal; resolves to its exit code. */
export function runBackend(name: "serve" | "train" | "eval", args: string[]): Promise<number> {
  const child = spawn(process.execPath, [join(backendRoot, "dist", "bin", `${name}.js`), ...args], {
    stdio: "inherit",
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code ?? (signal === "SIGINT" ? 130 : 1));
    });
  });
}
