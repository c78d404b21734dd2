// Profiles on disk: $XDG_CONFIG_HOME/anneal/config.json (or ~/.config/…), written with mode 0600
// because it may hold API keys.
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import type { ReasoningEffort } from "@anneal/sdk";
import { UsageError } from "../exit-codes";

export interface Profile {
  baseURL?: string;
  apiKey?: string;
  model?: string;
  effort?: ReasoningEffort;
}

export interface ConfigFile {
  /** The profile used when --profile is not given. */
  current: string;
  profiles: Record<string, Profile>;
}

export const PROFILE_KEYS = { "base-url": "baseURL", "api-key": "apiKey", model: "model", effort: "effort" } as const;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "anneal", "config.json");
}

export function readConfig(path = configPath()): ConfigFile {
  if (!existsSync(path)) return { current: "default", profiles: {} };
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<ConfigFile>;
    return { current: parsed.current ?? "default", profiles: parsed.profiles ?? {} };
  } catch (error) {
    throw new UsageError(`${path}: not valid JSON (${(error as Error).message}); fix or delete it`);
  }
}

/**
 * Writes through a fresh temporary file created 0600 with O_EXCL (never a stale or planted one that
 * others could read), renamed over the config; the folder is tightened to 0700 even if it existed.
 */
export function writeConfig(config: ConfigFile, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  chmodSync(dirname(path), 0o700);
  const temp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(temp, "wx", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(config, null, 2)}\n`);
    closeSync(fd);
    renameSync(temp, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {}
    try {
      unlinkSync(temp);
    } catch {}
    throw error;
  }
  chmodSync(path, 0o600);
}
