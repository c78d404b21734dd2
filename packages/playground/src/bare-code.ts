// Telling a code model's unfenced code from prose, so the page shows it as code, not as collapsed markdown.

/**
 * Whether an answer is code written without a fence (a code model's habit): no fence, and several
 * indented lines or lines ending the way code lines do. Markdown would collapse its layout.
 */
export function looksLikeBareCode(text: string): boolean {
  if (text.includes("```")) return false;
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const codeLike = lines.filter(
    (line) => /^(\t| {2,})(?![-*+] |\d+\. )\S/.test(line) || /[{};:]\s*$/.test(line),
  ).length;
  return lines.length >= 2 && codeLike >= Math.max(2, lines.length / 3);
}
