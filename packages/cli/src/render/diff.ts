// A unified diff of a file's old and new text, coloured for a terminal (plain when colour is off).
import { createTwoFilesPatch } from "diff";

// Plain SGR codes: the caller has already decided that colour is wanted (see wantsColour).
const paint = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
const bold = paint(1, 22);
const green = paint(32, 39);
const red = paint(31, 39);
const cyan = paint(36, 39);

export function renderDiff(file: string, before: string, after: string, colour: boolean): string {
  const patch = createTwoFilesPatch(file, file, before, after, "", "", { context: 3 });
  const lines = patch.split("\n").slice(2); // drop the "===" banner lines; keep ---/+++ headers
  if (!colour) return lines.join("\n");
  return lines
    .map((line) => {
      if (line.startsWith("+++") || line.startsWith("---")) return bold(line);
      if (line.startsWith("+")) return green(line);
      if (line.startsWith("-")) return red(line);
      if (line.startsWith("@@")) return cyan(line);
      return line;
    })
    .join("\n");
}

/** Colour only for a terminal that wants it (NO_COLOR, FORCE_COLOR and pipes respected). */
export function wantsColour(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}
