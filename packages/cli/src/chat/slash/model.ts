// /model [id]: show or change the model; a new id is checked against the models the API serves.
import type { SlashCommand } from "./command";

export const model: SlashCommand = {
  name: "model",
  usage: "/model [id]",
  summary: "show or switch the model",
  async run(args, { session, listModels }) {
    if (!args) return { notice: `model: ${session.model}` };
    if (listModels) {
      let ids: string[];
      try {
        ids = await listModels();
      } catch (error) {
        return { notice: `cannot check the model list (${(error as Error).message}); model unchanged` };
      }
      if (!ids.includes(args)) return { notice: `no model "${args}" here; available: ${ids.join(", ") || "none"}` };
    }
    session.model = args;
    return { notice: `model set to ${args}` };
  },
};
