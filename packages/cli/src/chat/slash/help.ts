// /help: every slash command and the keys.
import type { SlashCommand } from "./command";

export function helpCommand(all: () => SlashCommand[]): SlashCommand {
  return {
    name: "help",
    usage: "/help",
    summary: "list commands and keys",
    run() {
      const commands = all().map((c) => `${c.usage.padEnd(34)} ${c.summary}`);
      const keys = [
        "Enter sends · Alt+Enter adds a line · ↑/↓ history",
        "Esc cancels the answer (keeps your text) · Ctrl+C cancels, then clears, then exits · Ctrl+D exits",
      ];
      return { notice: [...commands, ...keys].join("\n") };
    },
  };
}
