// Text positions for the code panels: the caret's offset as the 1-based line/column the next-edit
// prompt wants, and a FIM answer put in at the caret.

/** 1-based line and column of a character offset. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: (lines[lines.length - 1] as string).length + 1 };
}

/** The text before and after the caret: a FIM request's prompt and suffix. */
export function splitAtCaret(text: string, caret: number): { prefix: string; suffix: string } {
  const at = Math.max(0, Math.min(caret, text.length));
  return { prefix: text.slice(0, at), suffix: text.slice(at) };
}
