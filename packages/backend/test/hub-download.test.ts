// Hub ids downloaded for real: a loopback server answers as the Hugging Face Hub does (revision and
// tree APIs, resolve URLs, LFS redirects to a CDN that honours ranges, gated repos), and the files
// land in the local cache in huggingface_hub's layout. Covers a fresh download, resuming after a cut
// or stalled transfer and from a partial file an earlier run left, a corrupt file (error, nothing
// left in the cache), gated repos and HF_TOKEN, GGUF picks, and offline mode with and without a copy.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exportGguf } from "../src/checkpoint/gguf-export";
import { type DownloadProgress, linkPointer } from "../src/checkpoint/hub-download";
import { locateModel } from "../src/checkpoint/load";
import { CheckpointError, type LoadOptions, loadCheckpoint } from "../src/index";
import { type HubServer, repoFiles, sha256, startHubServer } from "./support/hub-server";
import { writeCheckpoint } from "./support/write-checkpoint";

const COMMIT = "c0ffee0000000000000000000000000000000001";
const GATED_COMMIT = "c0ffee0000000000000000000000000000000002";
const GGUF_COMMIT = "c0ffee0000000000000000000000000000000003";
const TOKEN = "hf_anneal_test_token";

const source = writeCheckpoint({ seed: 51 });
const weights = readFileSync(join(source.dir, "model.safetensors"));
const ggufDir = mkdtempSync(join(tmpdir(), "anneal-gguf-hub-"));
exportGguf(writeCheckpoint({ seed: 52, dim: 64, ffn: 96 }).dir, join(ggufDir, "tiny-Q8_0.gguf"), "q8_0");
exportGguf(writeCheckpoint({ seed: 52, dim: 64, ffn: 96 }).dir, join(ggufDir, "tiny-F16.gguf"), "f16");

let hub: HubServer;
let cache: string;
const ENV_KEYS = ["HF_HUB_CACHE", "HF_HOME", "HF_ENDPOINT", "HF_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE"] as const;
const saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));

beforeEach(async () => {
  hub = await startHubServer({
    "test-org/tiny-llada": { files: repoFiles(source.dir), commit: COMMIT, refs: { v1: COMMIT } },
    "test-org/gated-llada": { files: repoFiles(source.dir), commit: GATED_COMMIT, token: TOKEN },
    "test-org/tiny-GGUF": { files: repoFiles(ggufDir), commit: GGUF_COMMIT },
  });
  cache = mkdtempSync(join(tmpdir(), "anneal-hub-dl-"));
  for (const key of ENV_KEYS) delete process.env[key];
  process.env.HF_HUB_CACHE = cache;
  process.env.HF_HOME = mkdtempSync(join(tmpdir(), "anneal-hf-home-")); // no saved token file
  process.env.HF_ENDPOINT = hub.url;
});
afterEach(async () => {
  await hub.close();
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

const repoDir = (repo: string) => join(cache, `models--${repo.replace("/", "--")}`);
const blobOf = (repo: string, bytes: Buffer) => join(repoDir(repo), "blobs", sha256(bytes));
const transfers = () => hub.requests.filter((r) => r.url.startsWith("/cdn/") && r.range !== "bytes=0-0");

async function loadError(id: string, options: LoadOptions = {}): Promise<string> {
  const error = await loadCheckpoint(id, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckpointError);
  return (error as Error).message;
}

async function logits(path: string): Promise<Float32Array | undefined> {
  const tokens = Int32Array.from([5, 6, 7, 8]);
  const [result] = await (await loadCheckpoint(path)).model.forward([
    { tokens, statRows: Int32Array.from(tokens.keys()), wantLogits: true },
  ]);
  return result?.logits;
}

describe("downloading a Hub id into the cache", () => {
  it("fetches a checkpoint's files into huggingface_hub's layout, reports progress, and loads the same model", async () => {
    const progress: DownloadProgress[] = [];
    const loaded = await loadCheckpoint("test-org/tiny-llada", { hub: { onProgress: (p) => progress.push(p) } });
    const snapshot = join(repoDir("test-org/tiny-llada"), "snapshots", COMMIT);
    expect(loaded.dir).toBe(snapshot);
    expect(readFileSync(join(repoDir("test-org/tiny-llada"), "refs", "main"), "utf8")).toBe(COMMIT);
    // The checkpoint's files, as relative links to blobs named by their hash; docs and .gitattributes skipped.
    expect(readdirSync(snapshot).sort()).toEqual(readdirSync(source.dir).sort());
    const link = join(snapshot, "model.safetensors");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(join("..", "..", "blobs", sha256(weights)));
    expect(readFileSync(link).equals(weights)).toBe(true);
    // Progress: every file ends at its size; the weights' bytes climb to it.
    const files = new Set(progress.map((p) => p.file));
    expect([...files].sort()).toEqual(readdirSync(source.dir).sort());
    for (const file of files) {
      const last = progress.filter((p) => p.file === file).at(-1) as DownloadProgress;
      expect(last.bytes).toBe(last.total);
      expect(last.count).toBe(files.size);
    }
    expect(await logits(loaded.dir)).toEqual(await logits(source.dir));
    // Loaded again: from the cache, without one request.
    const before = hub.requests.length;
    expect((await loadCheckpoint("test-org/tiny-llada")).dir).toBe(snapshot);
    expect(hub.requests.length).toBe(before);
  });

  /** Where a resumed transfer started: its range's first byte (0 for a whole-file request). */
  const resumedAt = (range: string | undefined) => Number(/^bytes=(\d+)-/.exec(range ?? "")?.[1] ?? 0);

  // How many of the bytes sent before a cut reach the download is up to the HTTP stack (bytes still
  // queued when the connection errors are dropped), so these check that the retry starts past 0, no
  // later than what was sent, and that the stitched file is byte for byte the Hub's.
  it("resumes a transfer the connection cut, asking only for the bytes it lacks", async () => {
    const half = weights.length >> 1;
    hub.cutNext("model.safetensors", half);
    const loaded = await loadCheckpoint("test-org/tiny-llada");
    expect(readFileSync(join(loaded.dir, "model.safetensors")).equals(weights)).toBe(true);
    const [first, second, ...more] = transfers().map((r) => r.range);
    expect([first, more]).toEqual([undefined, []]);
    expect(second).toMatch(new RegExp(`^bytes=\\d+-${weights.length - 1}$`));
    expect(resumedAt(second)).toBeGreaterThan(0);
    expect(resumedAt(second)).toBeLessThanOrEqual(half);
  });

  it("fetches several files at once (and one at a time when told to)", async () => {
    // The Hub holds every transfer until three wait at once; one-at-a-time fetching would wait out the 20 s.
    hub.holdTransfersUntil(3, 20_000);
    const loaded = await loadCheckpoint("test-org/tiny-llada");
    expect(hub.peakHeld).toBe(3);
    expect(readFileSync(join(loaded.dir, "model.safetensors")).equals(weights)).toBe(true);
    expect(await logits(loaded.dir)).toEqual(await logits(source.dir));

    const other = mkdtempSync(join(tmpdir(), "anneal-hub-serial-"));
    process.env.HF_HUB_CACHE = other;
    hub.holdTransfersUntil(2, 300);
    await loadCheckpoint("test-org/tiny-llada", { hub: { concurrency: 1 } });
    expect(hub.peakHeld).toBe(3); // unchanged: never two at once
  }, 30_000);

  it("after one file fails no new file starts, and the error names the file", async () => {
    hub.corrupt("model.safetensors");
    const progress: DownloadProgress[] = [];
    const options = { hub: { concurrency: 1, onProgress: (p: DownloadProgress) => progress.push(p) } };
    expect(await loadError("test-org/tiny-llada", options)).toMatch(/model\.safetensors/);
    const order = [...new Set(progress.map((p) => p.file))];
    expect(order.at(-1)).toBe("model.safetensors"); // nothing was started after it
    const later = readdirSync(source.dir).filter((name) => name > "model.safetensors");
    expect(later.length).toBeGreaterThan(0);
    for (const name of later) expect(hub.requests.some((r) => r.url.endsWith(`/${name}`))).toBe(false);
    expect(existsSync(blobOf("test-org/tiny-llada", weights))).toBe(false);
  });

  it("two pulls of the same model at once: one fetches each file, the other waits and uses it", async () => {
    const [a, b] = await Promise.all([locateModel("test-org/tiny-llada"), locateModel("test-org/tiny-llada")]);
    expect(a).toBe(b);
    expect(readFileSync(join(a, "model.safetensors")).equals(weights)).toBe(true);
    // The weights went over the wire once, not twice into the same partial file.
    expect(transfers().filter((r) => r.url.includes(sha256(weights)))).toHaveLength(1);
    expect(await logits(a)).toEqual(await logits(source.dir));
  });

  it("a snapshot's pointer, linked again by concurrent pulls, is never missing in between", async () => {
    const dir = mkdtempSync(join(tmpdir(), "anneal-pointer-"));
    const blob = join(dir, "blobs", "abc");
    mkdirSync(join(dir, "blobs"));
    writeFileSync(blob, "weights");
    const pointer = join(dir, "snapshots", "c0ffee", "model.safetensors");
    await linkPointer(pointer, blob);
    let missing = 0;
    let linking = true;
    const watch = (async () => {
      while (linking) {
        if (!existsSync(pointer)) missing++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await Promise.all(Array.from({ length: 200 }, () => linkPointer(pointer, blob)));
    linking = false;
    await watch;
    expect(missing).toBe(0);
    expect(readFileSync(pointer, "utf8")).toBe("weights");
    expect(readdirSync(dirname(pointer))).toEqual(["model.safetensors"]); // no temporary left behind
  });

  it("resumes a transfer that stalls", async () => {
    hub.stallNext("model.safetensors", 1000);
    const loaded = await loadCheckpoint("test-org/tiny-llada", { hub: { stallMs: 1000 } });
    expect(readFileSync(join(loaded.dir, "model.safetensors")).equals(weights)).toBe(true);
    const last = transfers().at(-1)?.range;
    expect(last).toMatch(new RegExp(`^bytes=\\d+-${weights.length - 1}$`));
    expect(resumedAt(last)).toBeGreaterThan(0);
    expect(resumedAt(last)).toBeLessThanOrEqual(1000);
  });

  it("gives up after its tries keeping the partial file, and the next run finishes it from there", async () => {
    hub.cutNext("model.safetensors", 4096, 2);
    const message = await loadError("test-org/tiny-llada", { hub: { attempts: 2 } });
    const stopped = new RegExp(
      `the download of model\\.safetensors stopped at (\\d+) of ${weights.length} bytes .*run the same command again to resume`,
    ).exec(message);
    expect(stopped).not.toBeNull();
    const kept = Number(stopped?.[1]);
    expect(kept).toBeLessThanOrEqual(8192); // two cuts after at most 4096 bytes each
    const partial = `${blobOf("test-org/tiny-llada", weights)}.incomplete`;
    expect(readFileSync(partial).equals(weights.subarray(0, kept))).toBe(true);
    const loaded = await loadCheckpoint("test-org/tiny-llada");
    expect(readFileSync(join(loaded.dir, "model.safetensors")).equals(weights)).toBe(true);
    expect(transfers().at(-1)?.range).toBe(`bytes=${kept}-${weights.length - 1}`);
    expect(existsSync(partial)).toBe(false);
  });

  it("continues a partial file another run (or huggingface_hub) left in the cache", async () => {
    const blob = blobOf("test-org/tiny-llada", weights);
    mkdirSync(join(repoDir("test-org/tiny-llada"), "blobs"), { recursive: true });
    writeFileSync(`${blob}.incomplete`, weights.subarray(0, 3000));
    await loadCheckpoint("test-org/tiny-llada");
    expect(readFileSync(blob).equals(weights)).toBe(true);
    expect(transfers().map((r) => r.range)).toEqual([`bytes=3000-${weights.length - 1}`]);
  });

  it("a file that does not match the Hub's checksum is an error and leaves nothing in the cache", async () => {
    hub.corrupt("model.safetensors");
    expect(await loadError("test-org/tiny-llada")).toMatch(
      new RegExp(
        `model\\.safetensors does not match the Hub's checksum \\(sha256 ${sha256(weights)}, got [0-9a-f]{64}\\)`,
      ),
    );
    const blobs = readdirSync(join(repoDir("test-org/tiny-llada"), "blobs"));
    expect(blobs.some((name) => name.startsWith(sha256(weights)))).toBe(false);
    expect(existsSync(join(repoDir("test-org/tiny-llada"), "snapshots", COMMIT, "model.safetensors"))).toBe(false);
  });

  it("a corrupt plain git file fails its git blob id too", async () => {
    hub.corrupt("config.json");
    expect(await loadError("test-org/tiny-llada")).toMatch(
      /config\.json does not match the Hub's checksum \(git blob id/,
    );
  });

  it("a gated repo: 401 names HF_TOKEN; a wrong token is refused; the right one (env or saved login) downloads", async () => {
    expect(await loadError("test-org/gated-llada")).toMatch(
      /^test-org\/gated-llada: the repo is gated or private \(401\): set HF_TOKEN/,
    );
    process.env.HF_TOKEN = "hf_wrong";
    expect(await loadError("test-org/gated-llada")).toMatch(/the Hub refused HF_TOKEN \(401\)/);
    process.env.HF_TOKEN = "not-a-token";
    expect(await loadError("test-org/gated-llada")).toMatch(/HF_TOKEN does not look like a Hugging Face token/);
    delete process.env.HF_TOKEN;
    writeFileSync(join(process.env.HF_HOME as string, "token"), `${TOKEN}\n`);
    const loaded = await loadCheckpoint("test-org/gated-llada");
    expect(readFileSync(join(loaded.dir, "model.safetensors")).equals(weights)).toBe(true);
    expect(hub.requests.filter((r) => !r.url.startsWith("/cdn/")).at(-1)?.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("an unknown repo or revision is a one-line error", async () => {
    expect(await loadError("nobody/nothing")).toMatch(
      /^nobody\/nothing: no model nobody\/nothing on http:\/\/127\.0\.0\.1:\d+ \(401\)/,
    );
    expect(await loadError("test-org/tiny-llada@v9")).toMatch(/no model test-org\/tiny-llada at revision v9 .*\(404\)/);
  });

  it("a repo of GGUF files: downloads only the file the pattern picks; without one, several are an error", async () => {
    expect(await loadError("test-org/tiny-GGUF")).toMatch(
      /the repo holds 2 \.gguf files \(tiny-F16\.gguf, tiny-Q8_0\.gguf\); name one with test-org\/tiny-GGUF:PATTERN/,
    );
    expect(await loadError("test-org/tiny-GGUF:Q5_K")).toMatch(/no Hub \.gguf file matches "Q5_K"/);
    const loaded = await loadCheckpoint("test-org/tiny-GGUF:q8_0");
    expect(loaded.model.info().weights).toBe("Q8_0");
    expect(readdirSync(join(repoDir("test-org/tiny-GGUF"), "snapshots", GGUF_COMMIT))).toEqual(["tiny-Q8_0.gguf"]);
  });

  it("offline (HF_HUB_OFFLINE or the option) never touches the network: a cached copy loads, a missing one is an error", async () => {
    process.env.HF_HUB_OFFLINE = "1";
    expect(await loadError("test-org/tiny-llada")).toMatch(
      /^test-org\/tiny-llada: not in the Hugging Face cache .*; offline \(--offline or HF_HUB_OFFLINE\)/,
    );
    expect(hub.requests).toEqual([]);
    delete process.env.HF_HUB_OFFLINE;
    await loadCheckpoint("test-org/tiny-llada@v1");
    const before = hub.requests.length;
    expect((await loadCheckpoint("test-org/tiny-llada@v1", { hub: { offline: true } })).dir).toContain(COMMIT);
    expect(await loadError("test-org/tiny-llada", { hub: { offline: true } })).toMatch(
      /revision main is not in the cache \(cached: v1;/,
    );
    expect(hub.requests.length).toBe(before);
  });

  it("a cached snapshot missing a weight shard is completed, not loaded half", async () => {
    await loadCheckpoint("test-org/tiny-llada");
    const snapshot = join(repoDir("test-org/tiny-llada"), "snapshots", COMMIT);
    const { rmSync } = await import("node:fs");
    rmSync(join(snapshot, "model.safetensors"));
    process.env.HF_HUB_OFFLINE = "1";
    expect(await loadError("test-org/tiny-llada")).toMatch(/the cached snapshot .* lacks model\.safetensors; offline/);
    delete process.env.HF_HUB_OFFLINE;
    const before = transfers().length;
    await loadCheckpoint("test-org/tiny-llada");
    expect(readFileSync(join(snapshot, "model.safetensors")).equals(weights)).toBe(true);
    expect(transfers().length).toBe(before); // the blob was still there: relinked, not fetched again
  });
});
