// Hugging Face Hub ids resolved in the local Hub cache, in the layout huggingface_hub writes (blobs
// named by hash, snapshots of symlinks to them, refs naming commits): folders, GGUF files picked by
// pattern, revisions by branch or commit, and clear errors for what is not cached.
import { mkdirSync, mkdtempSync, readdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exportGguf } from "../src/checkpoint/gguf-export";
import { parseHubId } from "../src/checkpoint/hub-cache";
import { CheckpointError, loadCheckpoint } from "../src/index";
import { writeCheckpoint } from "./support/write-checkpoint";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const OTHER = "fedcba9876543210fedcba9876543210fedcba98";

/** Moves a folder's files into `cache` as huggingface_hub stores repo `repo` at `commit`. */
function cacheRepo(cache: string, repo: string, commit: string, files: string, refs: Record<string, string>) {
  const repoDir = join(cache, `models--${repo.replace("/", "--")}`);
  const snapshot = join(repoDir, "snapshots", commit);
  mkdirSync(join(repoDir, "blobs"), { recursive: true });
  mkdirSync(snapshot, { recursive: true });
  mkdirSync(join(repoDir, "refs"), { recursive: true });
  for (const name of readdirSync(files)) {
    const blob = `${commit.slice(0, 8)}${name.replace(/\W/g, "")}`;
    renameSync(join(files, name), join(repoDir, "blobs", blob));
    symlinkSync(join("..", "..", "blobs", blob), join(snapshot, name));
  }
  for (const [ref, target] of Object.entries(refs)) writeFileSync(join(repoDir, "refs", ref), target);
}

async function loadError(id: string): Promise<string> {
  const error = await loadCheckpoint(id).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckpointError);
  return (error as Error).message;
}

let cache: string;
const saved = {
  HF_HUB_CACHE: process.env.HF_HUB_CACHE,
  HF_HOME: process.env.HF_HOME,
  HF_HUB_OFFLINE: process.env.HF_HUB_OFFLINE,
};
beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), "anneal-hub-"));
  process.env.HF_HUB_CACHE = cache;
  process.env.HF_HUB_OFFLINE = "1"; // the cache alone answers here; hub-download.test.ts covers the network
  delete process.env.HF_HOME;
});
afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe("Hub ids", () => {
  it("parse as org/name[@revision][:pattern]; paths do not", () => {
    expect(parseHubId("GSAI-ML/LLaDA-8B-Instruct")).toEqual({ repo: "GSAI-ML/LLaDA-8B-Instruct", revision: "main" });
    expect(parseHubId("org/model-GGUF@v1.0:Q4_K_M")).toEqual({
      repo: "org/model-GGUF",
      revision: "v1.0",
      pattern: "Q4_K_M",
    });
    for (const path of ["./org/name", "../org/name", "/abs/path", "org/name/extra", "name"])
      expect(parseHubId(path)).toBeUndefined();
  });

  it("a cached checkpoint loads from its snapshot, at main, at a branch, or at a commit", async () => {
    const first = writeCheckpoint({ seed: 41 });
    const second = writeCheckpoint({ seed: 42 });
    cacheRepo(cache, "test-org/tiny-llada", COMMIT, first.dir, { main: COMMIT });
    cacheRepo(cache, "test-org/tiny-llada", OTHER, second.dir, { "v2-branch": OTHER });
    const main = await loadCheckpoint("test-org/tiny-llada");
    expect(main.dir).toBe(join(cache, "models--test-org--tiny-llada", "snapshots", COMMIT));
    expect((await loadCheckpoint("test-org/tiny-llada@v2-branch")).dir).toMatch(new RegExp(`${OTHER}$`));
    expect((await loadCheckpoint(`test-org/tiny-llada@${COMMIT}`)).dir).toMatch(new RegExp(`${COMMIT}$`));
    // The same weights as the folder they came from.
    const tokens = Int32Array.from([1, 2, 3, 4]);
    const rows = Int32Array.from(tokens.keys());
    const [cached] = await main.model.forward([{ tokens, statRows: rows, wantLogits: true }]);
    const [original] = await (await loadCheckpoint(writeCheckpoint({ seed: 41 }).dir)).model.forward([
      { tokens, statRows: rows, wantLogits: true },
    ]);
    expect(cached?.logits).toEqual(original?.logits);
  });

  it("HF_HOME/hub is the cache when HF_HUB_CACHE is not set", async () => {
    const home = mkdtempSync(join(tmpdir(), "anneal-hf-home-"));
    delete process.env.HF_HUB_CACHE;
    process.env.HF_HOME = home;
    cacheRepo(join(home, "hub"), "test-org/tiny-llada", COMMIT, writeCheckpoint({ seed: 43 }).dir, { main: COMMIT });
    expect((await loadCheckpoint("test-org/tiny-llada")).dir).toContain(join(home, "hub"));
  });

  it("a repo of GGUF files: the only one, or the one a pattern picks; several without one is an error", async () => {
    const source = writeCheckpoint({ seed: 44, dim: 64, ffn: 96 });
    const files = mkdtempSync(join(tmpdir(), "anneal-gguf-repo-"));
    exportGguf(source.dir, join(files, "tiny-Q8_0.gguf"), "q8_0");
    exportGguf(source.dir, join(files, "tiny-F16.gguf"), "f16");
    cacheRepo(cache, "test-org/tiny-GGUF", COMMIT, files, { main: COMMIT });
    expect((await loadCheckpoint("test-org/tiny-GGUF:q8_0")).model.info().weights).toBe("Q8_0");
    expect((await loadCheckpoint("test-org/tiny-GGUF:F16")).model.info().weights).toBe("F16");
    expect(await loadError("test-org/tiny-GGUF")).toMatch(
      /the repo holds 2 \.gguf files \(tiny-F16\.gguf, tiny-Q8_0\.gguf\); name one with test-org\/tiny-GGUF:PATTERN/,
    );
    expect(await loadError("test-org/tiny-GGUF:Q4_K_M")).toMatch(/no cached \.gguf file matches "Q4_K_M"/);
  });

  it("what is not cached is an error naming the cache; an unknown revision lists the cached ones", async () => {
    expect(await loadError("nobody/nothing")).toMatch(
      new RegExp(`^nobody/nothing: not in the Hugging Face cache \\(${cache}/models--nobody--nothing\\); offline`),
    );
    cacheRepo(cache, "test-org/tiny-llada", COMMIT, writeCheckpoint({ seed: 45 }).dir, { main: COMMIT });
    expect(await loadError("test-org/tiny-llada@v9")).toMatch(/revision v9 is not in the cache \(cached: main;/);
  });
});
