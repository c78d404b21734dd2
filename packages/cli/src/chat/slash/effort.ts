// /effort [instant|low|medium|high]: show or change the reasoning effort (the denoising budget).
import type { ReasoningEffort } from "@anneal/sdk";
import type { SlashCommand } from "./command";

const LEVELS: ReasoningEffort[] = ["instant", "low", "medium", "high"];

export const effort: SlashCommand = {
  name: "effort",
  usage: "/effort [instant|low|medium|high]",
  summary: "show or set the reasoning effort",
  run(args, { session }) {
    if (!args) return { notice: `effort: ${session.effort ?? "server default"}` };
    if (!LEVELS.includes(args as ReasoningEffort)) return { notice: `effort must be one of ${LEVELS.join(", ")}` };
    session.effort = args as ReasoningEffort;
    return { notice: `effort set to ${args}` };
  },
};
