// anneal edit FILE --cursor LINE:COL: next-edit prediction from the file, recently viewed snippets
// (--snippet) and the file's uncommitted git diff as edit history; shows the diff, --write applies it.
import { execFileSync } from "node:child_process";
import { dirname } from "node:path";
import { applyNextEdit, buildNextEditPrompt, parseNextEditReply } from "@anneal/sdk";
import type { Context } from "../context";
import { offsetOf, parsePosition } from "../files/position";
import { readSourceFile } from "../files/source-file";
import { showOrWrite } from "./code-change";

export async function edit(
  path: string,
  options: { cursor: string; snippet?: string[]; write?: boolean },
  ctx: Context,
): Promise<void> {
  const file = readSourceFile(path);
  const content = file.text;
  const cursor = parsePosition(options.cursor, "--cursor");
  offsetOf(content, cursor, path); // the cursor must be inside the file, as fim requires
  const prompt = buildNextEditPrompt({
    file: { path, content },
    cursor,
    recentlyViewed: (options.snippet ?? []).map((viewed) => ({ path: viewed, content: readSourceFile(viewed).text })),
    editHistory: gitDiff(path),
  });
  const completion = await ctx
    .client()
    .edit.completions.create({ model: ctx.settings.model, messages: prompt.messages });
  const suggestion = parseNextEditReply(completion.choices[0]?.message.content, prompt);
  if (suggestion.kind === "none") {
    ctx.err.write("no suggestion\n");
    return;
  }
  showOrWrite(file, applyNextEdit(prompt, suggestion), options.write === true, ctx);
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
