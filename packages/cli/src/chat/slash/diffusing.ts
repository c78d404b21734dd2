// /diffusing [on|off]: toggle the live diffusion view (whole drafts replacing each other).
import type { SlashCommand } from "./command";

export const diffusing: SlashCommand = {
  name: "diffusing",
  usage: "/diffusing [on|off]",
  summary: "toggle the live diffusion view",
  run(args, { session }) {
    if (args && args !== "on" && args !== "off") return { notice: "use /diffusing on or /diffusing off" };
    session.diffusing = args ? args === "on" : !session.diffusing;
    return { notice: `diffusion view ${session.diffusing ? "on" : "off"}` };
  },
};
