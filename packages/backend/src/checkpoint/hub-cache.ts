// A Hugging Face Hub id (`org/name[@revision][:pattern]`) resolved to a model already in the local
// Hub cache — the layout Python's huggingface_hub writes (`models--org--name/refs/<branch>` holding a
// commit, `snapshots/<commit>/` holding the files) under HF_HUB_CACHE, HF_HOME/hub or
// ~/.cache/huggingface/hub — so models other tools downloaded load without a copy and without network.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CheckpointError } from "../errors";

export interface HubId {
  /** "org/name" */
  repo: string;
  /** A branch or tag (a file under refs/) or a 40-hex commit; default "main". */
  revision: string;
  /** For repos holding several GGUF files: the one whose name contains this (case-insensitive). */
  pattern?: string;
}

const HUB_ID = /^([\w.-]+\/[\w.-]+)(?:@([\w./-]+))?(?::([\w.-]+))?$/;

/** The Hub id `text` names, or undefined when it does not look like one. */
export function parseHubId(text: string): HubId | undefined {
  const match = HUB_ID.exec(text);
  if (!match || text.startsWith(".") || text.includes("..")) return undefined;
  return { repo: match[1] as string, revision: match[2] ?? "main", ...(match[3] ? { pattern: match[3] } : {}) };
}

/** The Hub id `path` names when no folder or file has that path (a local path always wins). */
export function hubIdOf(path: string): HubId | undefined {
  return existsSync(path) ? undefined : parseHubId(path);
}

/** The cached snapshot folder of `id`, or the GGUF file in it that `id` picks. */
export async function resolveCachedModel(text: string, id: HubId): Promise<string> {
  const { getHFHubCachePath, getRepoFolderName } = await import("@huggingface/hub");
  const cache = getHFHubCachePath();
  const repoDir = join(cache, getRepoFolderName({ name: id.repo, type: "model" }));
  if (!existsSync(repoDir)) {
    throw new CheckpointError(
      text,
      `not in the Hugging Face cache (${repoDir}); anneal does not download yet: fetch it with \`huggingface-cli download ${id.repo}\`, or set HF_HUB_CACHE or HF_HOME to the cache that has it`,
    );
  }
  const commit = /^[0-9a-f]{40}$/.test(id.revision) ? id.revision : readRef(text, repoDir, id.revision);
  const snapshot = join(repoDir, "snapshots", commit);
  if (!existsSync(snapshot)) {
    throw new CheckpointError(text, `revision ${id.revision} (${commit}) has no snapshot in ${repoDir}`);
  }
  if (existsSync(join(snapshot, "config.json")) && !id.pattern) return snapshot;
  return pickGguf(text, snapshot, id.pattern);
}

function readRef(text: string, repoDir: string, revision: string): string {
  const ref = join(repoDir, "refs", revision);
  if (!existsSync(ref) || !statSync(ref).isFile()) {
    const refs = existsSync(join(repoDir, "refs")) ? readdirSync(join(repoDir, "refs")) : [];
    throw new CheckpointError(
      text,
      `revision ${revision} is not in the cache (cached: ${refs.length ? refs.join(", ") : "no refs"}; a 40-character commit also works)`,
    );
  }
  return readFileSync(ref, "utf8").trim();
}

function pickGguf(text: string, snapshot: string, pattern: string | undefined): string {
  const ggufs = readdirSync(snapshot, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".gguf"))
    .sort();
  const chosen = pattern ? ggufs.filter((name) => name.toLowerCase().includes(pattern.toLowerCase())) : ggufs;
  if (chosen.length === 1) return join(snapshot, chosen[0] as string);
  if (ggufs.length === 0)
    throw new CheckpointError(text, `the cached snapshot ${snapshot} holds no config.json and no .gguf file`);
  const listed = ggufs.join(", ");
  if (chosen.length === 0)
    throw new CheckpointError(text, `no cached .gguf file matches "${pattern}" (cached: ${listed})`);
  throw new CheckpointError(
    text,
    `${pattern ? `"${pattern}" matches` : "the repo holds"} ${chosen.length} .gguf files (${chosen.join(", ")}); name one with ${text.split(":")[0]}:PATTERN, e.g. :Q4_K_M`,
  );
}
