// Request bodies may nest only so deep: deeper JSON (a 5,000-level tool schema, say) would overflow
// the stack of every recursive walk after it (templating, JSON.stringify, schema compilation).

export const MAX_JSON_DEPTH = 64;

/** The path (`tools.0.function.parameters…`) of the first value nested deeper than `limit`, if any. */
export function tooDeepPath(value: unknown, limit = MAX_JSON_DEPTH): string | undefined {
  // Iterative, so that measuring cannot overflow the stack itself.
  const stack: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop() as { value: unknown; path: string[] };
    if (typeof current !== "object" || current === null) continue;
    if (path.length >= limit) return path.slice(0, 4).join(".");
    for (const [key, child] of Object.entries(current)) stack.push({ value: child, path: [...path, key] });
  }
  return undefined;
}
