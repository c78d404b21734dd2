// The training corpus: source and Markdown files gathered from folders, deduplicated by content,
// in a stable order, with a held-out split by file.
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";

export interface Document {
  /** Where the text came from, relative to its root. */
  path: string;
  text: string;
}

export interface CollectOptions {
  extensions?: string[];
  /** Larger files (bundles, generated code) are skipped. */
  maxFileBytes?: number;
}

const DEFAULT_EXTENSIONS = [".ts", ".tsx", ".js", ".mjs", ".cjs", ".md"];
const SKIPPED = [/\.min\.[cm]?js$/, /\.d\.[cm]?ts$/, /\.map$/];

/** Every matching file under `roots` (files or folders; links are not followed), deduplicated, sorted by path. */
export function collectDocuments(roots: string[], options: CollectOptions = {}): Document[] {
  const extensions = options.extensions ?? DEFAULT_EXTENSIONS;
  const maxBytes = options.maxFileBytes ?? 200_000;
  const seen = new Set<string>();
  const documents: Document[] = [];
  for (const root of roots) {
    if (!existsSync(root)) throw new Error(`${root}: no such file or folder`);
    const single = lstatSync(root).isFile();
    for (const file of single ? [root] : walk(root)) {
      if (!extensions.some((ext) => file.endsWith(ext)) || SKIPPED.some((pattern) => pattern.test(file))) continue;
      const size = lstatSync(file).size;
      if (size === 0 || size > maxBytes) continue;
      const text = readFileSync(file, "utf8");
      const digest = createHash("sha1").update(text).digest("hex");
      if (seen.has(digest)) continue;
      seen.add(digest);
      documents.push({ path: single ? basename(file) : relative(root, file), text });
    }
  }
  return documents.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function* walk(dir: string): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

/**
 * The installed packages of a pnpm workspace, one folder per package version, as the lockfile pinned
 * them: `node_modules/.pnpm/<name@version>/node_modules/<name>` (the other entries there are links).
 */
export function workspacePackageRoots(workspaceRoot: string): string[] {
  const store = join(workspaceRoot, "node_modules", ".pnpm");
  if (!existsSync(store)) return [];
  const roots: string[] = [];
  for (const version of readdirSync(store).sort()) {
    const modules = join(store, version, "node_modules");
    if (!existsSync(modules)) continue;
    for (const entry of readdirSync(modules, { withFileTypes: true })) {
      if (entry.isDirectory() && !entry.name.startsWith("@")) roots.push(join(modules, entry.name));
      if (entry.isDirectory() && entry.name.startsWith("@")) {
        for (const scoped of readdirSync(join(modules, entry.name), { withFileTypes: true })) {
          if (scoped.isDirectory()) roots.push(join(modules, entry.name, scoped.name));
        }
      }
    }
  }
  return roots;
}

/** A stable split: a document is held out when the hash of its text falls in the first `fraction`. */
export function splitHeldOut(documents: Document[], fraction: number): { train: Document[]; heldOut: Document[] } {
  const train: Document[] = [];
  const heldOut: Document[] = [];
  for (const doc of documents) {
    const bucket = createHash("sha1").update(doc.text).digest().readUInt32BE(0) / 2 ** 32;
    (bucket < fraction ? heldOut : train).push(doc);
  }
  return { train, heldOut };
}
