// Saved conversations: $XDG_DATA_HOME/anneal/sessions/<name>.json (~/.local/share/… by default).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../exit-codes";
import { ChatSession, type ChatSessionData } from "./chat-session";

export class SessionStore {
  constructor(
    readonly dir = join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "anneal", "sessions"),
  ) {}

  save(session: ChatSession, name: string): string {
    if (!/^[\w.-]{1,64}$/.test(name))
      throw new UsageError(`session names use letters, digits, . _ and - (got "${name}")`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, `${name}.json`);
    writeFileSync(path, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
    return path;
  }

  load(name: string): ChatSession {
    const path = join(this.dir, `${name}.json`);
    if (!existsSync(path)) throw new UsageError(`no saved session "${name}" in ${this.dir}`);
    try {
      return new ChatSession(JSON.parse(readFileSync(path, "utf8")) as ChatSessionData);
    } catch (error) {
      throw new UsageError(`${path}: not a saved session (${(error as Error).message})`);
    }
  }

  /** The most recently saved session's name, for --resume without a name. */
  latest(): string | undefined {
    if (!existsSync(this.dir)) return undefined;
    const files = readdirSync(this.dir).filter((f) => f.endsWith(".json"));
    files.sort((a, b) => statSync(join(this.dir, b)).mtimeMs - statSync(join(this.dir, a)).mtimeMs);
    return files[0]?.slice(0, -".json".length);
  }
}
