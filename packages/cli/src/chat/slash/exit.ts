// /exit: leave the chat.
import type { SlashCommand } from "./command";

export const exit: SlashCommand = {
  name: "exit",
  usage: "/exit",
  summary: "leave (also Ctrl+D on an empty line)",
  run() {
    return { exit: true };
  },
};
