// A command called wrongly (a bad flag value, a missing file): one line on stderr and exit code 2.
import { InvalidArgumentError } from "commander";

export class UsageError extends Error {}

/** commander argument parsers: each refuses with a message that names the flag's rule. */
export function nonNegativeInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError("must be a non-negative integer.");
  return number;
}

export function nonNegativeNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new InvalidArgumentError("must be a non-negative number.");
  return number;
}

/** For repeatable flags: each use adds one value. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
