// Mercury's own settings, given as `providerOptions.mercury` in any AI SDK call.
import { InvalidArgumentError, type SharedV3ProviderOptions } from "@ai-sdk/provider";
import type { ReasoningEffort } from "@anneal/sdk";

export interface MercuryProviderOptions {
  /** The reasoning budget: `instant` is the near-real-time mode. */
  reasoningEffort?: ReasoningEffort;
  /** Ask for a summary of hidden reasoning (in `providerMetadata.mercury.reasoningSummary`). */
  reasoningSummary?: boolean;
  /** Lowest time to first token. */
  realtime?: boolean;
  /** Stream whole drafts as they denoise (as `raw` parts; see `draftsOf`). */
  diffusing?: boolean;
  /** FIM models: the text after the cursor (the prompt is the text before it). */
  suffix?: string;
}

const EFFORTS: readonly ReasoningEffort[] = ["instant", "low", "medium", "high"];

/** `providerOptions.mercury`, checked: a wrong type is an InvalidArgumentError naming the option. */
export function mercuryOptions(options: SharedV3ProviderOptions | undefined): MercuryProviderOptions {
  const given = (options?.mercury ?? {}) as Record<string, unknown>;
  const fail = (name: string, expected: string): never => {
    throw new InvalidArgumentError({
      argument: `providerOptions.mercury.${name}`,
      message: `providerOptions.mercury.${name} must be ${expected}, got ${JSON.stringify(given[name])}`,
    });
  };
  const result: MercuryProviderOptions = {};
  if (given.reasoningEffort !== undefined) {
    if (!EFFORTS.includes(given.reasoningEffort as ReasoningEffort)) fail("reasoningEffort", EFFORTS.join(" | "));
    result.reasoningEffort = given.reasoningEffort as ReasoningEffort;
  }
  for (const name of ["reasoningSummary", "realtime", "diffusing"] as const) {
    if (given[name] === undefined) continue;
    if (typeof given[name] !== "boolean") fail(name, "a boolean");
    result[name] = given[name] as boolean;
  }
  if (given.suffix !== undefined) {
    if (typeof given.suffix !== "string") fail("suffix", "a string");
    result.suffix = given.suffix as string;
  }
  return result;
}
