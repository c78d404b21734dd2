// anneal chat: the interactive terminal chat (ink), optionally resuming a saved conversation.
import { render } from "ink";
import { ChatSession } from "../chat/chat-session";
import { SessionStore } from "../chat/session-store";
import { ChatApp } from "../chat/ui/ChatApp";
import type { Context } from "../context";
import { UsageError } from "../exit-codes";

export interface ChatOptions {
  system?: string;
  diffusing?: boolean;
  resume?: string | boolean;
}

export async function chat(options: ChatOptions, ctx: Context): Promise<void> {
  if (!process.stdin.isTTY) throw new UsageError("anneal chat needs a terminal; use `anneal ask` with piped input");
  const store = new SessionStore();
  const listModels = async () => (await ctx.client().models.list()).data.map((m) => m.id);
  let session = new ChatSession({
    model: await displayedModel(ctx, listModels),
    system: options.system,
    effort: ctx.settings.effort,
    diffusing: options.diffusing === true,
  });
  if (options.resume) {
    const name = typeof options.resume === "string" ? options.resume : store.latest();
    if (!name) throw new UsageError("there is no saved session to resume");
    session = store.load(name);
  }
  const banner = `anneal chat · ${session.model} · /help for commands, Ctrl+C to cancel or leave`;
  const app = render(
    <ChatApp client={ctx.client()} session={session} store={store} banner={banner} listModels={listModels} />,
    { exitOnCtrlC: false },
  );
  await app.waitUntilExit();
}

/**
 * The model to name in the chat: the one asked for, or — when none was, and the server does not list
 * the default (a self-hosted server answers Mercury's names with its own model) — the first it serves.
 */
async function displayedModel(ctx: Context, listModels: () => Promise<string[]>): Promise<string> {
  const { model, modelIsDefault } = ctx.settings;
  if (!modelIsDefault) return model;
  try {
    const ids = await listModels();
    return ids.length > 0 && !ids.includes(model) ? (ids[0] as string) : model;
  } catch {
    return model; // the first request will say what is wrong
  }
}
