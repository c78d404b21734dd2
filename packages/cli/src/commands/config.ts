// anneal config: profiles of base URL, API key, default model and effort (stored 0600; env vars win).

import { checkBaseURL } from "../config/base-url";
import { configPath, PROFILE_KEYS, readConfig, writeConfig } from "../config/store";
import { EFFORT_LEVELS } from "../effort-levels";

/** Config commands only print. */
interface Output {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

import { UsageError } from "../exit-codes";

type Key = keyof typeof PROFILE_KEYS;
const KEYS = Object.keys(PROFILE_KEYS) as Key[];

function keyOf(name: string): Key {
  if (!(KEYS as string[]).includes(name))
    throw new UsageError(`unknown setting "${name}"; settings: ${KEYS.join(", ")}`);
  return name as Key;
}

function profileName(option: string | undefined): string {
  return option ?? readConfig().current;
}

export function configSet(name: string, value: string, options: { profile?: string }, ctx: Output): void {
  const key = keyOf(name);
  if (key === "base-url") checkBaseURL(value, "base-url");
  if (key === "effort" && !(EFFORT_LEVELS as readonly string[]).includes(value)) {
    throw new UsageError(`effort must be one of ${EFFORT_LEVELS.join(", ")} (got "${value}")`);
  }
  const config = readConfig();
  const profile = profileName(options.profile);
  config.profiles[profile] = { ...config.profiles[profile], [PROFILE_KEYS[key]]: value };
  writeConfig(config);
  ctx.err.write(`${profile}: ${name} set\n`);
}

export function configGet(name: string, options: { profile?: string }, ctx: Output): void {
  const key = keyOf(name);
  const value = readConfig().profiles[profileName(options.profile)]?.[PROFILE_KEYS[key]];
  if (value === undefined) throw new UsageError(`${name} is not set in profile ${profileName(options.profile)}`);
  ctx.out.write(`${value}\n`);
}

export function configList(ctx: Output): void {
  const config = readConfig();
  for (const [name, profile] of Object.entries(config.profiles)) {
    const shown = { ...profile, ...(profile.apiKey ? { apiKey: `${profile.apiKey.slice(0, 4)}…` } : {}) };
    ctx.out.write(`${name === config.current ? "*" : " "} ${name} ${JSON.stringify(shown)}\n`);
  }
}

export function configUse(name: string, ctx: Output): void {
  const config = readConfig();
  if (!config.profiles[name])
    throw new UsageError(`no profile "${name}"; create it with \`anneal config set … --profile ${name}\``);
  writeConfig({ ...config, current: name });
  ctx.err.write(`using profile ${name}\n`);
}

export function configPathCommand(ctx: Output): void {
  ctx.out.write(`${configPath()}\n`);
}
