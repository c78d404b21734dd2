// /model [id]: show or change the model.
import type { SlashCommand } from "./command";

export const model: SlashCommand = {
  name: "model",
  usage: "/model [id]",
  summary: "show or switch the model",
  run(args, { session }) {
    if (!args) return { notice: `model: ${session.model}` };
    session.model = args;
    return { notice: `model set to ${args}` };
  },
};
