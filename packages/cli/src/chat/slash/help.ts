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
        "Enter sends · Alt+Enter adds a line · ↑/↓ history · Ctrl+U clears the line",
        "Esc cancels the answer (keeps your text) · Ctrl+C cancels, then clears, then exits · Ctrl+D exits",
        "Only the commands above are commands: any other line starting with / is sent as a message",
      ];
      return { notice: [...commands, ...keys].join("\n") };
    },
  };
}
