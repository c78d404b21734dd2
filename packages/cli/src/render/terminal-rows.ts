// How many terminal rows a text takes once long lines wrap: what an in-place redraw must move up over.
import stringWidth from "string-width";

/** Rows `text` (ending without a newline) fills on a terminal `columns` wide; tabs stop every 8 columns. */
export function terminalRows(text: string, columns: number): number {
  let rows = 0;
  for (const line of text.split("\n")) {
    let width = 0;
    for (const part of line.split("\t").entries()) {
      const [index, piece] = part;
      if (index > 0) width += 8 - (width % 8);
      width += stringWidth(piece);
    }
    rows += Math.max(1, Math.ceil(width / Math.max(1, columns)));
  }
  return rows;
}

/**
 * Where the part of `text` that fits in `rows` rows begins (always a line start): a live view taller
 * than the window cannot be redrawn in place, so only its tail is drawn until the answer is final.
 */
export function tailStart(text: string, columns: number, rows: number): number {
  let used = 0;
  let start = text.length;
  for (let end = text.length; end >= 0; ) {
    const lineStart = text.lastIndexOf("\n", end - 1) + 1;
    used += terminalRows(text.slice(lineStart, end), columns);
    if (used > rows) break;
    start = lineStart;
    if (lineStart === 0) break;
    end = lineStart - 1;
  }
  return start;
}
