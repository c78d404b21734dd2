// Where each setting comes from: a flag, then the environment, then the profile, then the default.
import { checkBaseURL } from "./base-url";
import type { Profile } from "./store";

export interface Settings {
  baseURL: string | undefined;
  apiKey: string | undefined;
  model: string;
  effort: Profile["effort"];
  /** No flag, variable or profile named a model: `model` is the default, which a server may not list. */
  modelIsDefault: boolean;
}

export interface SettingFlags {
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
  model?: string | undefined;
  effort?: string | undefined;
}

export const DEFAULT_MODEL = "mercury-2";

export function resolveSettings(flags: SettingFlags, env: NodeJS.ProcessEnv, profile: Profile): Settings {
  // An empty variable counts as unset, as the SDK treats it.
  const fromEnv = (name: string) => env[name]?.trim() || undefined;
  const baseURL =
    flags.baseUrl !== undefined
      ? checkBaseURL(flags.baseUrl, "--base-url")
      : fromEnv("INCEPTION_BASE_URL") !== undefined
        ? checkBaseURL(fromEnv("INCEPTION_BASE_URL") as string, "INCEPTION_BASE_URL")
        : profile.baseURL;
  return {
    baseURL,
    apiKey: flags.apiKey ?? fromEnv("INCEPTION_API_KEY") ?? profile.apiKey,
    model: flags.model ?? fromEnv("ANNEAL_MODEL") ?? profile.model ?? DEFAULT_MODEL,
    modelIsDefault: (flags.model ?? fromEnv("ANNEAL_MODEL") ?? profile.model) === undefined,
    effort: (flags.effort ?? fromEnv("ANNEAL_EFFORT") ?? profile.effort) as Profile["effort"],
  };
}
