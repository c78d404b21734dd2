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

function parse(line: string): { name: string; args: string } {
  const [, name = "", args = ""] = /^\/(\S*)\s*([\s\S]*)$/.exec(line.trim()) ?? [];
  return { name, args: args.trim() };
}

/**
 * Whether a line is a slash command: only the names of known commands are, so a message that starts
 * with a slash (`// sum an array`, `/etc/hosts is…`) is sent as a message.
 */
export function isSlashCommand(line: string): boolean {
  if (!line.trimStart().startsWith("/")) return false;
  const { name } = parse(line);
  return SLASH_COMMANDS.some((c) => c.name === name);
}

export async function runSlash(line: string, ctx: SlashContext): Promise<SlashResult> {
  const { name, args } = parse(line);
  const command = SLASH_COMMANDS.find((c) => c.name === name);
  if (!command) return { notice: `unknown command /${name} — /help lists them` };
  try {
    return await command.run(args, ctx);
  } catch (error) {
    if (error instanceof UsageError) return { notice: error.message };
    throw error;
  }
}
