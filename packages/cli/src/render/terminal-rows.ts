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
