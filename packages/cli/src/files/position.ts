// LINE:COL positions (1-based, as editors show them) and the text around one.
import { UsageError } from "../exit-codes";

export interface Position {
  line: number;
  column: number;
}

export function parsePosition(text: string, flag: string): Position {
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  if (!match) throw new UsageError(`${flag} expects LINE:COL (1-based), got "${text}"`);
  const position = { line: Number(match[1]), column: Number(match[2]) };
  if (position.line < 1 || position.column < 1) throw new UsageError(`${flag} is 1-based: LINE and COL start at 1`);
  return position;
}

/** The character offset of a position; it must be inside the file. */
export function offsetOf(content: string, position: Position, file: string): number {
  const lines = content.split("\n");
  const line = lines[position.line - 1];
  if (line === undefined)
    throw new UsageError(`${file} has ${lines.length} lines; line ${position.line} does not exist`);
  if (position.column > line.length + 1)
    throw new UsageError(
      `${file}:${position.line} has ${line.length} characters; column ${position.column} is past its end`,
    );
  return lines.slice(0, position.line - 1).reduce((sum, l) => sum + l.length + 1, 0) + position.column - 1;
}
