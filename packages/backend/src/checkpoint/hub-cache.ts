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
const COMMIT = /^[0-9a-f]{40}$/;

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

export function isCommit(revision: string): boolean {
  return COMMIT.test(revision);
}

/** `repo`'s folder in the local Hub cache (which may not exist yet). */
export async function repoCacheDir(repo: string): Promise<string> {
  const { getHFHubCachePath, getRepoFolderName } = await import("@huggingface/hub");
  return join(getHFHubCachePath(), getRepoFolderName({ name: repo, type: "model" }));
}

/** The model path `id` names in the cache, or why the cache cannot answer (what is missing). */
export type CacheLookup = { path: string } | { missing: string };

/** Looks `id` up in the local cache without touching the network. */
export async function findCachedModel(id: HubId): Promise<CacheLookup> {
  const repoDir = await repoCacheDir(id.repo);
  if (!existsSync(repoDir)) return { missing: `not in the Hugging Face cache (${repoDir})` };
  let commit = id.revision;
  if (!isCommit(commit)) {
    const ref = join(repoDir, "refs", id.revision);
    if (!existsSync(ref) || !statSync(ref).isFile()) {
      const refs = existsSync(join(repoDir, "refs")) ? readdirSync(join(repoDir, "refs")) : [];
      return {
        missing: `revision ${id.revision} is not in the cache (cached: ${refs.length ? refs.join(", ") : "no refs"}; a 40-character commit also works)`,
      };
    }
    commit = readFileSync(ref, "utf8").trim();
  }
  const snapshot = join(repoDir, "snapshots", commit);
  if (!existsSync(snapshot)) return { missing: `revision ${id.revision} (${commit}) has no snapshot in ${repoDir}` };
  const names = readdirSync(snapshot, { recursive: true, encoding: "utf8" }).filter((name) =>
    existsSync(join(snapshot, name)),
  );
  if (names.includes("config.json") && !id.pattern) {
    const missing = missingCheckpointFiles(snapshot, names);
    return missing.length
      ? { missing: `the cached snapshot ${snapshot} lacks ${missing.join(", ")}` }
      : { path: snapshot };
  }
  const gguf = pickGguf(names, id, "cached");
  return "name" in gguf ? { path: join(snapshot, gguf.name) } : gguf;
}

/** The cached model `id` names; a CheckpointError naming `text` says what is missing. */
export async function resolveCachedModel(text: string, id: HubId, advice: string): Promise<string> {
  const found = await findCachedModel(id);
  if ("missing" in found) throw new CheckpointError(text, `${found.missing}; ${advice}`);
  return found.path;
}

/** Files a checkpoint folder needs that `names` (its files, e.g. an interrupted download's) lack. */
function missingCheckpointFiles(dir: string, names: string[]): string[] {
  const missing = ["tokenizer.json"].filter((name) => !names.includes(name));
  const index = "model.safetensors.index.json";
  if (names.includes(index)) {
    const shards = new Set(Object.values(readIndexMap(join(dir, index))));
    missing.push(...[...shards].filter((shard) => !names.includes(shard)));
  } else if (!names.some((name) => name.endsWith(".safetensors"))) {
    missing.push("model.safetensors");
  }
  return missing;
}

function readIndexMap(file: string): Record<string, string> {
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { weight_map?: Record<string, string> }).weight_map ?? {};
  } catch {
    return {}; // the loader names the file and its problem
  }
}

/**
 * The one GGUF file among `names` (a repo's or a snapshot's files) that `id` picks: the only one, or
 * the one its pattern matches. `where` words the errors ("cached", "on the Hub").
 */
export function pickGguf(names: string[], id: HubId, where: string): { name: string } | { missing: string } {
  const ggufs = names.filter((name) => name.endsWith(".gguf")).sort();
  const pattern = id.pattern?.toLowerCase();
  const chosen = pattern ? ggufs.filter((name) => name.toLowerCase().includes(pattern)) : ggufs;
  if (chosen.length === 1) return { name: chosen[0] as string };
  if (ggufs.length === 0) return { missing: `the ${where} repo holds no config.json and no .gguf file` };
  const listed = ggufs.join(", ");
  if (chosen.length === 0) return { missing: `no ${where} .gguf file matches "${id.pattern}" (${where}: ${listed})` };
  return {
    missing: `${id.pattern ? `"${id.pattern}" matches` : "the repo holds"} ${chosen.length} .gguf files (${chosen.join(", ")}); name one with ${id.repo}:PATTERN, e.g. :Q4_K_M`,
  };
}
