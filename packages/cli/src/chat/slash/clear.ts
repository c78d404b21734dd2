// /clear: forget the conversation (settings stay).
import { ChatSession } from "../chat-session";
import type { SlashCommand } from "./command";

export const clear: SlashCommand = {
  name: "clear",
  usage: "/clear",
  summary: "start a new conversation with the same settings",
  run(_args, { session }) {
    return {
      notice: "conversation cleared",
      session: new ChatSession({ ...session.toJSON(), turns: [], stats: undefined }),
    };
  },
};
