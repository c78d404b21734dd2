// /effort [level]: show or change the reasoning effort (the denoising budget).
import type { ReasoningEffort } from "@anneal/sdk";
import { EFFORT_LEVELS } from "../../effort-levels";
import type { SlashCommand } from "./command";

export const effort: SlashCommand = {
  name: "effort",
  usage: `/effort [${EFFORT_LEVELS.join("|")}]`,
  summary: "show or set the reasoning effort",
  run(args, { session }) {
    if (!args) return { notice: `effort: ${session.effort ?? "server default"}` };
    if (!(EFFORT_LEVELS as readonly string[]).includes(args))
      return { notice: `effort must be one of ${EFFORT_LEVELS.join(", ")}` };
    session.effort = args as ReasoningEffort;
    return { notice: `effort set to ${args}` };
  },
};
