// Renders a finished answer's Markdown for the terminal: headings, lists, emphasis, and code blocks
// syntax-highlighted by language (marked + marked-terminal). Colour follows chalk's rules (FORCE_COLOR;
// NO_COLOR is turned into FORCE_COLOR=0 at start). Text is not reflowed: a model's unfenced code keeps its
// newlines and tabs, and the terminal wraps long lines.
import { Marked } from "marked";
import { markedTerminal } from "marked-terminal";

export function renderMarkdown(text: string, width: number): string {
  const marked = new Marked(markedTerminal({ width: Math.max(20, width), reflowText: false, tab: 2 }) as never);
  return (marked.parse(text, { async: false }) as string).replace(/\n+$/, "");
}
