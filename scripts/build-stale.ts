// Builds the workspace packages whose sources are newer than their build, quietly: the main job
// starts at once when nothing changed, and its stdout carries only the answer. A failed build prints
// its log on stderr.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
/** The pnpm the workspace pins (`packageManager`), as the README's commands run it. */
const pnpm = (JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as { packageManager: string }).packageManager;

/** Each package, its build's main output, in dependency order (the backend's build copies the playground's). */
const PACKAGES = [
  { name: "@anneal/sdk", dir: "packages/sdk", output: "dist/index.js" },
  { name: "@anneal/playground", dir: "packages/playground", output: "dist/index.html" },
  { name: "@anneal/backend", dir: "packages/backend", output: "dist/index.js" },
  { name: "@anneal/cli", dir: "packages/cli", output: "dist/bin.js" },
];

/** The newest modification time under `path` (a file or a folder). */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** Whether a package's build is missing or older than its sources, package.json or build config. */
export function isStale(dir: string, output: string): boolean {
  const built = join(root, dir, output);
  if (!existsSync(built)) return true;
  const inputs = ["src", "package.json", "tsup.config.ts", "build.mjs"].map((p) => newest(join(root, dir, p)));
  return Math.max(...inputs) > statSync(built).mtimeMs;
}

/** Builds every stale package, and every package after one built; throws with the build log if one fails. */
export function buildStale(): string[] {
  const built: string[] = [];
  for (const { name, dir, output } of PACKAGES) {
    if (built.length === 0 && !isStale(dir, output)) continue;
    const result = spawnSync("npx", ["-y", pnpm, "--filter", name, "--silent", "build"], {
      cwd: root,
      encoding: "utf8",
    });
    if (result.status !== 0) {
      process.stderr.write(result.stdout + result.stderr);
      throw new Error(`building ${name} failed (its log is above)`);
    }
    built.push(name);
  }
  return built;
}
