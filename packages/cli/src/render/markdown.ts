// Renders a finished answer's Markdown for the terminal: headings, lists, emphasis, and code blocks
// syntax-highlighted by language (marked + marked-terminal). Colour follows chalk's rules (NO_COLOR).
import { Marked } from "marked";
import { markedTerminal } from "marked-terminal";

export function renderMarkdown(text: string, width: number): string {
  const marked = new Marked(markedTerminal({ width: Math.max(20, width), reflowText: true, tab: 2 }) as never);
  return (marked.parse(text, { async: false }) as string).replace(/\n+$/, "");
}
