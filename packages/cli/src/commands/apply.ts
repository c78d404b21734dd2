// anneal apply FILE SNIPPET: merge an update snippet (`// ... existing code ...` for the unchanged
// parts) into the file with apply edit; shows the diff, --write applies it — only when the answer
// looks like a merge (--force to write it anyway).
import { buildApplyEditPrompt, parseApplyEditReply } from "@anneal/sdk";
import type { Context } from "../context";
import { UnusableAnswerError } from "../exit-codes";
import { implausibleMerge } from "../files/plausible-merge";
import { readSourceFile } from "../files/source-file";
import { showOrWrite } from "./code-change";

export async function apply(
  path: string,
  snippetPath: string,
  options: { write?: boolean; force?: boolean },
  ctx: Context,
): Promise<void> {
  const file = readSourceFile(path);
  const snippet = readSourceFile(snippetPath).text;
  const prompt = buildApplyEditPrompt({ originalCode: file.text, updateSnippet: snippet });
  const completion = await ctx
    .client()
    .apply.completions.create({ model: ctx.settings.model, messages: prompt.messages });
  const reply = parseApplyEditReply(completion.choices[0]?.message.content);
  const merged = reply.endsWith("\n") || !file.text.endsWith("\n") ? reply : `${reply}\n`;
  const problem = options.force ? undefined : implausibleMerge(file.text, snippet, merged);
  if (problem) {
    showOrWrite(file, merged, false, ctx);
    throw new UnusableAnswerError(
      `${problem}; ${options.write ? "not writing" : "this is not a merge"} (--force to ${options.write ? "write it anyway" : "accept it"})`,
    );
  }
  showOrWrite(file, merged, options.write === true, ctx);
}
