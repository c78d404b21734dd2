// Reads the server's /metrics (Prometheus text format) into totals per metric name, for the stats panel.

/** Each metric's samples summed over their labels; histogram series keep their _sum/_count names. */
export type MetricTotals = ReadonlyMap<string, number>;

/** Parses the text exposition format; comments, blank and malformed lines are skipped. */
export function parseMetrics(text: string): MetricTotals {
  const totals = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    // name, optional {labels} (label values may hold spaces or braces inside quotes), value
    const match = /^([a-zA-Z_:][\w:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    const name = match[1] as string;
    totals.set(name, (totals.get(name) ?? 0) + value);
  }
  return totals;
}
