// anneal edit FILE --cursor LINE:COL: next-edit prediction from the file, recently viewed snippets
// (--snippet) and the file's uncommitted git diff as edit history; shows the diff, --write applies it.
import { execFileSync } from "node:child_process";
import { dirname } from "node:path";
import { applyNextEdit, buildNextEditPrompt, parseNextEditReply } from "@anneal/sdk";
import type { Context } from "../context";
import { parsePosition } from "../files/position";
import { readSource } from "../files/read-source";
import { showOrWrite } from "./code-change";

export async function edit(
  file: string,
  options: { cursor: string; snippet?: string[]; write?: boolean },
  ctx: Context,
): Promise<void> {
  const content = readSource(file);
  const cursor = parsePosition(options.cursor, "--cursor");
  const prompt = buildNextEditPrompt({
    file: { path: file, content },
    cursor,
    recentlyViewed: (options.snippet ?? []).map((path) => ({ path, content: readSource(path) })),
    editHistory: gitDiff(file),
  });
  const completion = await ctx
    .client()
    .edit.completions.create({ model: ctx.settings.model, messages: prompt.messages });
  const suggestion = parseNextEditReply(completion.choices[0]?.message.content, prompt);
  if (suggestion.kind === "none") {
    ctx.err.write("no suggestion\n");
    return;
  }
  showOrWrite(file, content, applyNextEdit(prompt, suggestion), options.write === true, ctx);
}

/** The file's uncommitted changes as one unified diff, or none outside a git work tree. */
function gitDiff(file: string): string[] {
  try {
    const diff = execFileSync("git", ["diff", "--no-color", "--", file], {
      cwd: dirname(file) || ".",
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return diff.trim() ? [diff] : [];
  } catch {
    return [];
  }
}
