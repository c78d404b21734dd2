// What every command gets: resolved settings, a client built from them, the output streams.
import { Mercury } from "@anneal/sdk";
import { resolveSettings, type SettingFlags, type Settings } from "./config/resolve";
import { readConfig } from "./config/store";
import { type Target, UsageError } from "./exit-codes";
import { wantsColour } from "./render/diff";

export interface GlobalFlags extends SettingFlags {
  profile?: string;
  verbose?: boolean;
}

export interface Context {
  settings: Settings;
  client: () => Mercury;
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  colour: boolean;
  verbose: boolean;
  /** The API root calls go to (the SDK's default when none is set) and whether a key is sent. */
  target(): Target;
}

export function makeContext(flags: GlobalFlags): Context {
  const config = readConfig();
  const name = flags.profile ?? process.env.ANNEAL_PROFILE ?? config.current;
  const profile = config.profiles[name];
  if (flags.profile && !profile) throw new UsageError(`no profile "${flags.profile}" (see \`anneal config list\`)`);
  const settings = resolveSettings(flags, process.env, profile ?? {});
  let client: Mercury | undefined;
  return {
    settings,
    client: () => {
      client ??= new Mercury({
        apiKey: settings.apiKey,
        baseURL: settings.baseURL,
        logLevel: flags.verbose ? "debug" : "off",
      });
      return client;
    },
    out: process.stdout,
    err: process.stderr,
    colour: wantsColour(process.stdout),
    verbose: flags.verbose === true,
    target: () => ({
      baseURL: client?.baseURL ?? settings.baseURL ?? "the server",
      hasKey: settings.apiKey !== undefined,
    }),
  };
}

/** Text from the arguments, else from standard input when it is piped. */
export async function promptFrom(words: string[]): Promise<string> {
  if (words.length > 0) return words.join(" ");
  if (process.stdin.isTTY) throw new UsageError("give a prompt as arguments or pipe it in");
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  if (!text.trim()) throw new UsageError("the piped prompt is empty");
  return text.trim();
}
