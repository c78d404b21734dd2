// A real HTTP server on loopback that answers as the Hugging Face Hub does for what a model download
// touches: the revision API (the commit), the tree API (paths, sizes, git and LFS ids), resolve URLs
// (plain files with their git blob id as ETag; LFS files by a 302 to a CDN URL with X-Linked-Etag and
// X-Linked-Size) and a CDN that honours ranges. Gated repos answer 401 without the right token. Tests
// can cut a transfer after N bytes, stall one, or corrupt a file's bytes.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export interface HubRepo {
  /** Path in the repo → bytes. */
  files: Map<string, Buffer>;
  commit: string;
  /** Branches and tags → commit (main is always the commit). */
  refs?: Record<string, string>;
  /** Only this bearer token may read the repo. */
  token?: string;
}

export interface HubRequest {
  method: string;
  url: string;
  range: string | undefined;
  authorization: string | undefined;
}

export interface HubServer {
  url: string;
  requests: HubRequest[];
  /** The next transfer of `path` (a body longer than `after` bytes) sends `after` bytes, then the connection drops. */
  cutNext(path: string, after: number, times?: number): void;
  /** The next transfer of `path` sends `after` bytes, then nothing more (the connection stays open). */
  stallNext(path: string, after: number): void;
  /** Every transfer of `path` sends its bytes with one flipped. */
  corrupt(path: string): void;
  /**
   * File transfers wait until `count` of them are waiting at once (then all go), or `timeoutMs` has
   * passed: a download that fetches one file at a time meets the timeout and shows a peak of 1.
   */
  holdTransfersUntil(count: number, timeoutMs: number): void;
  /** The most file transfers that were held at once. */
  readonly peakHeld: number;
  close(): Promise<void>;
}

/** Files stored with LFS on the Hub (as its default .gitattributes says). */
const isLfs = (path: string) => /\.(safetensors|gguf|bin)$/.test(path);

/** The git blob id of `bytes`: what the Hub's tree and ETag say for a plain file. */
export const gitBlobId = (bytes: Buffer) =>
  createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
export const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** A folder's files (top level) as a repo's files, plus the README and .gitattributes every repo has. */
export function repoFiles(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir)) files.set(name, readFileSync(join(dir, name)));
  files.set("README.md", Buffer.from("# a tiny test model\n"));
  files.set(".gitattributes", Buffer.from("*.safetensors filter=lfs diff=lfs merge=lfs -text\n"));
  return files;
}

export async function startHubServer(repos: Record<string, HubRepo>): Promise<HubServer> {
  const requests: HubRequest[] = [];
  const cuts = new Map<string, { after: number; times: number }>();
  const stalls = new Map<string, number>();
  const corrupted = new Set<string>();
  let gate: { count: number; timeoutMs: number; held: (() => void)[] } | undefined;
  let peakHeld = 0;
  /** Runs `send` now, or once the gate opens. */
  const throughGate = (send: () => void) => {
    if (!gate) return send();
    const current = gate;
    current.held.push(send);
    peakHeld = Math.max(peakHeld, current.held.length);
    const open = () => {
      if (gate !== current) return;
      gate = undefined;
      for (const release of current.held) release();
    };
    if (current.held.length >= current.count) open();
    else if (current.held.length === 1) setTimeout(open, current.timeoutMs);
  };
  const byHash = new Map<string, { repo: HubRepo; path: string }>();
  for (const repo of Object.values(repos))
    for (const [path, bytes] of repo.files) if (isLfs(path)) byHash.set(sha256(bytes), { repo, path });

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
  };

  /** Sends `bytes` (or the asked range), applying any cut, stall or corruption set for `path`. */
  const sendFile = (req: IncomingMessage, res: ServerResponse, path: string, bytes: Buffer, headers: object) =>
    throughGate(() => sendNow(req, res, path, bytes, headers));
  const sendNow = (req: IncomingMessage, res: ServerResponse, path: string, bytes: Buffer, headers: object) => {
    let body = bytes;
    if (corrupted.has(path)) {
      body = Buffer.from(bytes);
      body[body.length >> 1] = (body[body.length >> 1] as number) ^ 0xff;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    let status = 200;
    let start = 0;
    let end = body.length - 1;
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), end) : end;
      if (start > end) {
        res.writeHead(416, { "Content-Range": `bytes */${body.length}` });
        res.end();
        return;
      }
      status = 206;
    }
    const part = body.subarray(start, end + 1);
    res.writeHead(status, {
      ...headers,
      "Accept-Ranges": "bytes",
      "Content-Type": "application/octet-stream",
      "Content-Length": String(part.length),
      ...(status === 206 ? { "Content-Range": `bytes ${start}-${end}/${body.length}` } : {}),
    });
    const cut = cuts.get(path);
    if (cut && part.length > cut.after) {
      if (--cut.times === 0) cuts.delete(path);
      // Then a FIN, not a reset: a reset may discard bytes the client has not read yet, so the
      // bytes it holds (where it must resume) would depend on timing.
      res.write(part.subarray(0, cut.after), () => res.socket?.end());
      return;
    }
    const stall = stalls.get(path);
    if (stall !== undefined && part.length > stall) {
      stalls.delete(path);
      res.write(part.subarray(0, stall)); // and nothing more: the client must notice and resume
      return;
    }
    res.end(part);
  };

  const server = createServer((req, res) => {
    requests.push({
      method: req.method ?? "GET",
      url: req.url ?? "",
      range: req.headers.range,
      authorization: req.headers.authorization,
    });
    const url = new URL(req.url ?? "/", "http://hub");
    const parts = url.pathname.split("/").slice(1).map(decodeURIComponent);

    if (parts[0] === "cdn") {
      const found = byHash.get(parts[1] ?? "");
      if (!found) return json(res, 404, { error: "not found" });
      const bytes = found.repo.files.get(found.path) as Buffer;
      const s3Etag = createHash("md5").update(bytes).digest("hex"); // a CDN's etag is not the Hub's
      return sendFile(req, res, found.path, bytes, { ETag: `"${s3Etag}"` });
    }

    const api = parts[0] === "api" && parts[1] === "models";
    const [org, name] = api ? parts.slice(2, 4) : parts.slice(0, 2);
    const repo = repos[`${org}/${name}`];
    const rest = api ? parts.slice(4) : parts.slice(2);
    if (!repo) {
      // As the Hub: an unknown repo looks like a private one to a caller without access.
      return json(res, 401, { error: "Repository Not Found" }, { "X-Error-Code": "RepositoryNotFound" });
    }
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      const error = req.headers.authorization
        ? "Invalid credentials in Authorization header"
        : `Access to model ${org}/${name} is restricted. You must have access to it and be authenticated to access it. Please log in.`;
      return json(res, 401, { error }, { "X-Error-Code": "GatedRepo" });
    }
    const revision = rest[1] ?? "";
    const commit = revision === repo.commit ? repo.commit : { main: repo.commit, ...repo.refs }[revision];
    if (!commit)
      return json(res, 404, { error: `Invalid rev id: ${revision}` }, { "X-Error-Code": "RevisionNotFound" });

    if (api && rest[0] === "revision") {
      return json(res, 200, {
        _id: "0".repeat(24),
        id: `${org}/${name}`,
        sha: commit,
        private: false,
        gated: repo.token ? "manual" : false,
        downloads: 0,
        likes: 0,
        lastModified: "2026-11-01T00:00:00.000Z",
      });
    }
    if (api && rest[0] === "tree") {
      return json(
        res,
        200,
        [...repo.files].map(([path, bytes]) => ({
          type: "file",
          path,
          size: bytes.length,
          oid: gitBlobId(isLfs(path) ? Buffer.from(`version https://git-lfs.github.com/spec/v1\n`) : bytes),
          ...(isLfs(path) ? { lfs: { oid: sha256(bytes), size: bytes.length, pointerSize: 134 } } : {}),
        })),
      );
    }
    if (!api && rest[0] === "resolve") {
      const path = rest.slice(2).join("/");
      const bytes = repo.files.get(path);
      if (!bytes) return json(res, 404, { error: "Entry not found" }, { "X-Error-Code": "EntryNotFound" });
      if (isLfs(path)) {
        res.writeHead(302, {
          Location: `/cdn/${sha256(bytes)}`,
          ETag: `"${sha256(bytes)}"`,
          "X-Linked-Etag": `"${sha256(bytes)}"`,
          "X-Linked-Size": String(bytes.length),
          "X-Repo-Commit": commit,
        });
        return res.end();
      }
      return sendFile(req, res, path, bytes, { ETag: `"${gitBlobId(bytes)}"`, "X-Repo-Commit": commit });
    }
    return json(res, 404, { error: "not a Hub route" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    cutNext: (path, after, times = 1) => cuts.set(path, { after, times }),
    stallNext: (path, after) => stalls.set(path, after),
    corrupt: (path) => corrupted.add(path),
    holdTransfersUntil: (count, timeoutMs) => {
      gate = { count, timeoutMs, held: [] };
    },
    get peakHeld() {
      return peakHeld;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
