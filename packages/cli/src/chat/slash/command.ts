// The shape of a slash command: one file per command, each with its name, usage and action.
import type { ChatSession } from "../chat-session";
import type { SessionStore } from "../session-store";

export interface SlashContext {
  session: ChatSession;
  store: SessionStore;
  /** The ids the API serves (for /model to check a name); absent in contexts without a client. */
  listModels?: () => Promise<string[]>;
}

export interface SlashResult {
  /** A line to show the user. */
  notice?: string;
  exit?: boolean;
  /** Start over with this session (/clear, /load). */
  session?: ChatSession;
}

export interface SlashCommand {
  name: string;
  usage: string;
  summary: string;
  run(args: string, ctx: SlashContext): SlashResult | Promise<SlashResult>;
}
