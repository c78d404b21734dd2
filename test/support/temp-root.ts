// vitest globalSetup: the run's temporary files (checkpoints, caches, servers' and CLIs' folders, the
// browser's profile) all go under one folder of its own, removed when the run ends — tests make
// thousands of mkdtemp folders and no test has to remember to clean up after itself.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "anneal-test-run-"));
  const previous = process.env.TMPDIR;
  // Test workers and the processes tests start inherit it; os.tmpdir() reads it.
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
