// A real Chromium for the playground's browser tests: Debian's `chromium` (or ANNEAL_CHROMIUM),
// driven by playwright-core; no browser is ever downloaded. CI installs the package (.ci/run).
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

const CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
];

/** The browser executable, or undefined when this machine has none. */
export function chromiumPath(): string | undefined {
  const given = process.env.ANNEAL_CHROMIUM;
  if (given) return given;
  return CANDIDATES.find((path) => existsSync(path));
}

export const NO_BROWSER_MESSAGE =
  "playground browser tests skipped: no Chromium found. Install Debian's package (sudo apt-get install chromium) or set ANNEAL_CHROMIUM to a Chromium/Chrome executable.";

/**
 * Headless, sandbox off (CI runs as root), and nothing that phones home: on these machines the
 * network is closed, and Chromium's background connections would only fail.
 */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
    ],
  });
}
