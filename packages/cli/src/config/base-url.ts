// A base URL given by a user (flag, variable or profile) is checked where it is given, with a hint,
// instead of failing later as "Invalid URL" or "unknown scheme".
import { UsageError } from "../exit-codes";

/** The URL unchanged if it is an http(s) URL; else a UsageError naming `source` and what to type. */
export function checkBaseURL(value: string, source: string): string {
  const hint = /^[\w.-]+(:\d+)?(\/.*)?$/.test(value) ? ` — did you mean http://${value}?` : "";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${source} "${value}" is not a URL${hint || " (expected e.g. http://localhost:8000)"}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${source} "${value}" must start with http:// or https://${hint}`);
  }
  return value;
}
