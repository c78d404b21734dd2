// How the page reaches the server that served it: the API root and /metrics relative to the page (so
// a reverse proxy's path prefix keeps working), and the API key kept in this browser's local storage.
import { Mercury } from "@anneal/sdk";

const KEY_STORAGE = "anneal.playground.apiKey";

/** The server's API root for a page at `<root>/playground/`. */
export function apiRoot(page: string = location.href): string {
  return new URL("../v1", page).href;
}

export function metricsUrl(page: string = location.href): string {
  return new URL("../metrics", page).href;
}

export function savedKey(): string | undefined {
  try {
    return localStorage.getItem(KEY_STORAGE) ?? undefined;
  } catch {
    return undefined; // storage disabled: the key lasts as long as the page
  }
}

export function saveKey(key: string | undefined): void {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // storage disabled: nothing to keep
  }
}

/**
 * A client for this page's own server. The browser guard is lifted because the key (if any) is the
 * user's own, typed into their own server's page; the page never sends it anywhere else.
 */
export function connect(apiKey: string | undefined): Mercury {
  return new Mercury({
    baseURL: apiRoot(),
    apiKey,
    dangerouslyAllowBrowser: true,
    // A busy server answers 429/503: say so at once rather than retry behind the user's back.
    maxRetries: 0,
    logLevel: "off",
  });
}
