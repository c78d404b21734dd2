// Whether an apply-edit answer looks like the file with the snippet merged in, before it may replace
// the file: most of the original's lines survive, and the snippet's own lines appear.

/** Lines that carry meaning: not blank, not an "existing code" marker. */
function meaningfulLines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/\.\.\.\s*existing code\s*\.\.\./i.test(line));
}

/** The share of `lines` found in `within` (each line of `within` used once). */
function shareFound(lines: string[], within: string[]): number {
  if (lines.length === 0) return 1;
  const pool = new Map<string, number>();
  for (const line of within) pool.set(line, (pool.get(line) ?? 0) + 1);
  let found = 0;
  for (const line of lines) {
    const left = pool.get(line) ?? 0;
    if (left > 0) {
      found++;
      pool.set(line, left - 1);
    }
  }
  return found / lines.length;
}

/** Undefined when the merge is plausible, else why not (one sentence). */
export function implausibleMerge(original: string, snippet: string, merged: string): string | undefined {
  const mergedLines = meaningfulLines(merged);
  const kept = shareFound(meaningfulLines(original), mergedLines);
  const anchored = shareFound(meaningfulLines(snippet), mergedLines);
  if (kept >= 0.5 && anchored >= 0.5) return undefined;
  const percent = (x: number) => `${Math.round(x * 100)} %`;
  return `the merged file keeps ${percent(kept)} of the original's lines and ${percent(anchored)} of the snippet's`;
}
