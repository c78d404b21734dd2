// Every example in examples/ run as its own process against the real server and built-in model.
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "./support/local-server";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const files = readdirSync(new URL("../examples/", import.meta.url)).filter((name) => name.endsWith(".ts"));

let local: LocalServer;
beforeAll(async () => {
  local = await startLocalServer({ maxConcurrent: 4 });
});
afterAll(() => local.close());

describe("examples against the real server", () => {
  it.each(files)(
    "%s runs to completion",
    async (file) => {
      const env = { ...process.env, INCEPTION_BASE_URL: local.baseURL, INCEPTION_API_KEY: "" };
      const result = await run(process.execPath, ["--import", "tsx", `examples/${file}`], {
        cwd: root,
        env,
        timeout: 120_000,
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout.length).toBeGreaterThan(0);
    },
    120_000,
  ); // as long as the process may run: high effort decodes one token per forward on a CPU
});
