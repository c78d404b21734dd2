// /load name: continue a saved conversation.
import type { SlashCommand } from "./command";

export const load: SlashCommand = {
  name: "load",
  usage: "/load name",
  summary: "continue a saved conversation",
  run(args, { store }) {
    if (!args) return { notice: "usage: /load name" };
    const session = store.load(args);
    return { notice: `loaded ${args} (${session.turns.length} turns)`, session };
  },
};
