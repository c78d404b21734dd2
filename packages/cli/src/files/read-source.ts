// Reads a file named on the command line; a missing or unreadable file is a usage error naming it.
import { readFileSync } from "node:fs";
import { UsageError } from "../exit-codes";

export function readSource(path: string): string {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${path}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a folder" : (error as Error).message}`,
    );
  }
}
