// The slash-command registry: "/name args" → the command's result, or a notice for unknown names.
import { UsageError } from "../../exit-codes";
import { clear } from "./clear";
import type { SlashCommand, SlashContext, SlashResult } from "./command";
import { diffusing } from "./diffusing";
import { effort } from "./effort";
import { exit } from "./exit";
import { helpCommand } from "./help";
import { load } from "./load";
import { model } from "./model";
import { save } from "./save";
import { stats } from "./stats";
import { system } from "./system";

const base: SlashCommand[] = [model, system, effort, diffusing, clear, save, load, stats, exit];
export const SLASH_COMMANDS: SlashCommand[] = [...base, helpCommand(() => SLASH_COMMANDS)];

export function runSlash(line: string, ctx: SlashContext): SlashResult {
  const [, name = "", args = ""] = /^\/(\S*)\s*([\s\S]*)$/.exec(line.trim()) ?? [];
  const command = SLASH_COMMANDS.find((c) => c.name === name);
  if (!command) return { notice: `unknown command /${name} — /help lists them` };
  try {
    return command.run(args.trim(), ctx);
  } catch (error) {
    if (error instanceof UsageError) return { notice: error.message };
    throw error;
  }
}
