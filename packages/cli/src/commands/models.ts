// anneal models: the models the API serves, as a table or JSON.
import type { Context } from "../context";

export async function models(options: { json?: boolean }, ctx: Context): Promise<void> {
  const list = await ctx.client().models.list();
  if (options.json) {
    ctx.out.write(`${JSON.stringify(list.data)}\n`);
    return;
  }
  const rows = list.data.map((m) => [
    m.id,
    String(m.context_length ?? "?"),
    (m.supported_features ?? []).join(", ") || "-",
  ]);
  const header = ["model", "context", "features"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  for (const row of [header, ...rows])
    ctx.out.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join("  ")
        .trimEnd()}\n`,
    );
}
