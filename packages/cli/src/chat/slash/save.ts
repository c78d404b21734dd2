// /save [name]: write the conversation to the sessions folder (resume it with --resume NAME).
import type { SlashCommand } from "./command";

export const save: SlashCommand = {
  name: "save",
  usage: "/save [name]",
  summary: "save the conversation",
  run(args, { session, store }) {
    const name = args || new Date().toISOString().replace(/[:.]/g, "-");
    return { notice: `saved to ${store.save(session, name)}` };
  },
};
