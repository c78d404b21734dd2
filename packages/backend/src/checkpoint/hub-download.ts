// Downloads a Hub model's files into the local Hugging Face cache, in the layout huggingface_hub
// writes (blobs named by their etag, snapshots/<commit>/ of symlinks to them, refs/<branch>), so
// Python tools and later runs share the copy. The Hub's API is spoken by @huggingface/hub (the
// commit, the file tree, resolve URLs, ranged reads of plain and Xet-stored files); what is ours is
// the cache bookkeeping: partial files resumed where they stopped, every byte checked against the
// Hub's etag before a blob is named after it, and progress reported as bytes arrive.
import { createHash, type Hash, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync } from "node:fs";
import { copyFile, mkdir, rename, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, relative } from "node:path";
import { lock } from "proper-lockfile";
import { CheckpointError } from "../errors";
import { findCachedModel, type HubId, isCommit, pickGguf, repoCacheDir, resolveCachedModel } from "./hub-cache";
import { inParallel } from "./in-parallel";

export interface DownloadProgress {
  repo: string;
  /** The file's path in the repo. */
  file: string;
  /** Bytes of this file in the cache so far (a resumed file starts above zero). */
  bytes: number;
  /** The file's size. */
  total: number;
  /** 1-based position of the file among those to fetch, and how many there are. */
  index: number;
  count: number;
}

export interface HubDownloadOptions {
  /** The Hub's address; default HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Access token for gated and private repos; default HF_TOKEN, else the file `huggingface-cli login` writes. */
  token?: string;
  /** Called as bytes arrive (at least once per file, also for files already cached). */
  onProgress?: (progress: DownloadProgress) => void;
  /** A transfer that brings no byte for this long is cut and resumed; default 60 s. */
  stallMs?: number;
  /** Tries per file (each resuming where the last stopped) before giving up; default 5. */
  attempts?: number;
  /** Files fetched at once (a sharded checkpoint's shards in parallel); default 4. */
  concurrency?: number;
}

/** Files in flight at once by default: enough to fill a link with a sharded checkpoint, few enough for the Hub's CDN. */
export const DEFAULT_DOWNLOAD_CONCURRENCY = 4;

export interface HubLoadOptions extends HubDownloadOptions {
  /** Never touch the network; default: HF_HUB_OFFLINE set to 1, true, yes or on. */
  offline?: boolean;
}

/** The model `id` names: from the local cache when it is complete there, else downloaded into it. */
export async function resolveHubModel(text: string, id: HubId, options: HubLoadOptions = {}): Promise<string> {
  const found = await findCachedModel(id);
  if ("path" in found) return found.path;
  if (options.offline ?? offlineByEnvironment()) {
    throw new CheckpointError(
      text,
      `${found.missing}; offline (--offline or HF_HUB_OFFLINE), so nothing is downloaded`,
    );
  }
  return downloadModel(text, id, options);
}

/** huggingface_hub's HF_HUB_OFFLINE switch, with the values it accepts as true. */
function offlineByEnvironment(): boolean {
  return ["1", "true", "yes", "on"].includes((process.env.HF_HUB_OFFLINE ?? "").trim().toLowerCase());
}

/**
 * A file of the repo as the Hub's file tree lists it. `id` is the Hub's etag for it, which names its
 * blob in the cache: the SHA-256 of an LFS (or Xet) file's bytes, a plain git file's git blob id
 * (the SHA-1 of "blob <size>\0" and the bytes); `kind` says which, so the bytes can be checked.
 */
interface RepoFile {
  path: string;
  size: number;
  kind: "sha256" | "git blob id";
  id: string;
}

/** Top-level files of a safetensors checkpoint that the loader reads; pickles and docs are skipped. */
const CHECKPOINT_FILE = /^[^/]+\.(json|safetensors|jinja|txt|model|tiktoken)$/;

/**
 * Fetches what the cache lacks of `id` (a checkpoint's config, tokenizer and safetensors files, or
 * the GGUF file its pattern picks), then answers the cached model path as the cache lookup does.
 */
export async function downloadModel(text: string, id: HubId, options: HubDownloadOptions = {}): Promise<string> {
  const hub = await import("@huggingface/hub");
  const endpoint = (options.endpoint ?? process.env.HF_ENDPOINT ?? hub.HUB_URL).replace(/\/+$/, "");
  const accessToken = options.token ?? hubToken();
  if (accessToken !== undefined && !accessToken.startsWith("hf_")) {
    throw new CheckpointError(text, "HF_TOKEN does not look like a Hugging Face token (they start with hf_)");
  }
  const common = { hubUrl: endpoint, ...(accessToken ? { accessToken } : {}) };
  const repo = { type: "model" as const, name: id.repo };
  const failed = (error: unknown) => new CheckpointError(text, hubFailure(error, id, endpoint, accessToken));

  const commit = isCommit(id.revision)
    ? id.revision
    : await hub.modelInfo({ ...common, name: id.repo, revision: id.revision, additionalFields: ["sha"] }).then(
        (info) => info.sha,
        (error: unknown) => Promise.reject(failed(error)),
      );
  const files: RepoFile[] = [];
  try {
    for await (const entry of hub.listFiles({ ...common, repo, revision: commit, recursive: true })) {
      if (entry.type !== "file" || !entry.oid) continue;
      const checksum = entry.lfs
        ? { kind: "sha256" as const, id: entry.lfs.oid }
        : { kind: "git blob id" as const, id: entry.oid };
      files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size, ...checksum });
    }
  } catch (error) {
    throw failed(error);
  }
  const wanted = chooseFiles(text, id, files);

  const repoDir = await repoCacheDir(id.repo);
  // Checked before anything is fetched: both come from the server and are joined onto the cache folder.
  for (const file of wanted) {
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(file.id)) {
      throw new CheckpointError(text, `${file.path}: the Hub lists it with an unusable hash ${file.id}`);
    }
    if (isAbsolute(file.path) || file.path.split(/[\\/]/).includes("..")) {
      throw new CheckpointError(text, `the Hub lists a file outside the repo (${file.path}); refusing it`);
    }
  }
  await inParallel(wanted, options.concurrency ?? DEFAULT_DOWNLOAD_CONCURRENCY, async (file, i) => {
    const report = (bytes: number) =>
      options.onProgress?.({
        repo: id.repo,
        file: file.path,
        bytes,
        total: file.size,
        index: i + 1,
        count: wanted.length,
      });
    const pointer = join(repoDir, "snapshots", commit, file.path);
    if (existsSync(pointer)) {
      report(file.size);
      return;
    }
    const blob = join(repoDir, "blobs", file.id);
    // Another pull or server fetching the same blob holds its lock: wait, then use what it fetched.
    const release = await lockBlob(text, repoDir, file);
    try {
      if (!existsSync(blob)) {
        const open = () => hub.downloadFile({ ...common, repo, path: file.path, revision: commit });
        await fetchBlob(text, file, blob, open, report, options).catch((error: unknown) =>
          Promise.reject(error instanceof CheckpointError ? error : failed(error)),
        );
      } else report(file.size);
    } finally {
      await release();
    }
    await linkPointer(pointer, blob);
  });
  if (!isCommit(id.revision)) {
    await mkdir(join(repoDir, "refs"), { recursive: true });
    await writeFile(join(repoDir, "refs", id.revision), commit);
  }
  return resolveCachedModel(text, { ...id, revision: commit }, "the download did not complete; run it again");
}

/** How long a lock may go without its holder touching it before it counts as left behind. */
const LOCK_STALE_MS = 30_000;

/**
 * One download of a blob at a time, across processes: a lock in the cache's `.locks/` folder (named
 * apart from huggingface_hub's own lock files), refreshed while held, taken over once its holder has
 * not touched it for LOCK_STALE_MS (a killed process). Waits up to an hour for a live holder.
 */
async function lockBlob(text: string, repoDir: string, file: RepoFile): Promise<() => Promise<void>> {
  const locks = join(dirname(repoDir), ".locks", basename(repoDir));
  await mkdir(locks, { recursive: true });
  const target = join(locks, `${file.id}.anneal`);
  try {
    return await lock(target, {
      realpath: false,
      stale: LOCK_STALE_MS,
      update: LOCK_STALE_MS / 3,
      retries: { retries: 1800, minTimeout: 100, maxTimeout: 2000 },
    });
  } catch (error) {
    throw new CheckpointError(
      text,
      `another download of ${file.path} held its lock (${target}.lock) too long: ${(error as Error).message}`,
    );
  }
}

/** The repo files a model needs: a checkpoint's (config repos) or the one GGUF file `id` picks. */
function chooseFiles<F extends { path: string }>(text: string, id: HubId, files: F[]): F[] {
  const names = files.map((file) => file.path);
  if (names.includes("config.json") && !id.pattern) {
    if (!names.some((name) => name.endsWith(".safetensors"))) {
      throw new CheckpointError(text, "the repo holds no .safetensors weights (anneal does not load PyTorch pickles)");
    }
    return files.filter((file) => CHECKPOINT_FILE.test(file.path));
  }
  const gguf = pickGguf(names, id, "Hub");
  if ("missing" in gguf) throw new CheckpointError(text, gguf.missing);
  return files.filter((file) => file.path === gguf.name);
}

/**
 * Brings `blob` into the cache: bytes go to `blob.incomplete` (kept across failures and runs, so
 * the next try asks only for the rest), and the file is renamed to its final name only once its
 * size and hash match what the Hub said; a mismatch removes it.
 */
async function fetchBlob(
  text: string,
  file: RepoFile,
  blob: string,
  open: () => Promise<Blob | null>,
  report: (bytes: number) => void,
  options: HubDownloadOptions,
): Promise<void> {
  const partial = `${blob}.incomplete`;
  const size = file.size;
  await mkdir(dirname(blob), { recursive: true });
  if (existsSync(partial) && statSync(partial).size > size) await truncate(partial, 0);
  const hash = file.kind === "sha256" ? createHash("sha256") : createHash("sha1").update(`blob ${size}\0`);
  let have = existsSync(partial) ? statSync(partial).size : 0;
  if (have > 0) await hashFile(partial, hash);
  report(have);
  const attempts = options.attempts ?? 5;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts && have < size; attempt++) {
    try {
      const whole = await open();
      if (!whole) throw new Error("the Hub no longer has the file");
      const range = { part: whole.slice(have), start: have, end: size };
      have = await appendRange(range, partial, hash, report, options.stallMs ?? 60_000);
    } catch (error) {
      if (isHttpRefusal(error)) throw error; // the Hub answered no (401, 404…): asking again will not help
      lastError = error;
      have = statSync(partial).size;
    }
  }
  if (have < size) {
    throw new CheckpointError(
      text,
      `the download of ${file.path} stopped at ${have} of ${size} bytes (${reason(lastError)}); run the same command again to resume it`,
    );
  }
  const actual = hash.digest("hex");
  if (actual !== file.id) {
    await rm(partial, { force: true });
    throw new CheckpointError(
      text,
      `${file.path} does not match the Hub's checksum (${file.kind} ${file.id}, got ${actual}); the download was removed, run again to fetch it afresh`,
    );
  }
  await rename(partial, blob);
}

/** Streams `part` onto the end of `partial`, hashing and reporting as it goes; answers the new size. */
async function appendRange(
  { part, start, end }: { part: Blob; start: number; end: number },
  partial: string,
  hash: Hash,
  report: (bytes: number) => void,
  stallMs: number,
): Promise<number> {
  const out = createWriteStream(partial, { flags: "a" });
  const reader = part.stream().getReader();
  let have = start;
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no data for ${stallMs / 1000} s`)), stallMs);
      });
      const chunk = await Promise.race([reader.read(), stalled]).finally(() => clearTimeout(timer));
      if (chunk.done) break;
      const bytes = chunk.value as Uint8Array;
      have += bytes.byteLength;
      // A server that ignores the range request sends the file from its start: never append that.
      if (have > end) throw new Error(`the server sent more than the file's ${end} bytes`);
      hash.update(bytes);
      if (!out.write(bytes)) await once(out, "drain");
      report(have);
    }
  } finally {
    reader.cancel().catch(() => {});
    out.end();
    await once(out, "close");
  }
  return have;
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/** snapshots/<commit>/<file> → ../../blobs/<etag>, relative as huggingface_hub makes it; a copy where links are refused. */
export async function linkPointer(pointer: string, blob: string): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  // Made under a name of its own, then renamed over the pointer: a rename replaces it atomically, so
  // a concurrent pull of the same model never finds the pointer missing between a removal and a link.
  const temporary = `${pointer}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await symlink(relative(dirname(pointer), blob), temporary);
  } catch {
    await copyFile(blob, temporary);
  }
  await rename(temporary, pointer);
}

/** HF_TOKEN, else the token `huggingface-cli login` saved (HF_TOKEN_PATH, HF_HOME/token). */
function hubToken(): string | undefined {
  const fromEnv = process.env.HF_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const home = process.env.HF_HOME ?? join(homedir(), ".cache", "huggingface");
  const file = process.env.HF_TOKEN_PATH ?? join(home, "token");
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** One line for a failed Hub request: what the status means for this user and what to do. */
function hubFailure(error: unknown, id: HubId, endpoint: string, token: string | undefined): string {
  const status = (error as { statusCode?: number }).statusCode;
  const page = `${endpoint}/${id.repo}`;
  // The Hub answers 401 "Repository Not Found" for a repo that does not exist or that this caller cannot see.
  if (status === 404 || (status === 401 && /repository not found/i.test(reason(error)))) {
    const at = id.revision === "main" ? "" : ` at revision ${id.revision}`;
    return `no model ${id.repo}${at} on ${endpoint} (${status})${token ? "" : "; if it is private or gated, set HF_TOKEN"}`;
  }
  if (status === 401) {
    return token
      ? `the Hub refused HF_TOKEN (401): it is invalid or expired; make a new one at ${endpoint}/settings/tokens`
      : `the repo is gated or private (401): set HF_TOKEN to a token with access (${endpoint}/settings/tokens), after accepting its conditions at ${page}`;
  }
  if (status === 403) {
    return `HF_TOKEN has no access to this gated repo (403): accept its conditions at ${page}, or use a token of an account that has`;
  }
  if (status !== undefined) return `the Hub answered ${status}: ${reason(error)}`;
  return `cannot reach ${endpoint} (${reason(error)}); with a cached copy, --offline or HF_HUB_OFFLINE=1 skips the network`;
}

function isHttpRefusal(error: unknown): boolean {
  return typeof (error as { statusCode?: unknown }).statusCode === "number";
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error.cause as Error | undefined)?.message;
    return cause ? `${error.message}: ${cause}` : error.message;
  }
  return String(error);
}
