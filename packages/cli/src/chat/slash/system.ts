// /system [text]: show, set or (with "off") remove the system message.
import type { SlashCommand } from "./command";

export const system: SlashCommand = {
  name: "system",
  usage: "/system [text|off]",
  summary: "show, set or remove the system message",
  run(args, { session }) {
    if (!args) return { notice: session.system ? `system: ${session.system}` : "no system message" };
    session.system = args === "off" ? undefined : args;
    return { notice: args === "off" ? "system message removed" : "system message set" };
  },
};
