// anneal apply FILE SNIPPET: merge an update snippet (`// ... existing code ...` for the unchanged
// parts) into the file with apply edit; shows the diff, --write applies it.
import { buildApplyEditPrompt, parseApplyEditReply } from "@anneal/sdk";
import type { Context } from "../context";
import { readSource } from "../files/read-source";
import { showOrWrite } from "./code-change";

export async function apply(
  file: string,
  snippetFile: string,
  options: { write?: boolean },
  ctx: Context,
): Promise<void> {
  const original = readSource(file);
  const snippet = readSource(snippetFile);
  const prompt = buildApplyEditPrompt({ originalCode: original, updateSnippet: snippet });
  const completion = await ctx
    .client()
    .apply.completions.create({ model: ctx.settings.model, messages: prompt.messages });
  const merged = parseApplyEditReply(completion.choices[0]?.message.content);
  showOrWrite(
    file,
    original,
    merged.endsWith("\n") || !original.endsWith("\n") ? merged : `${merged}\n`,
    options.write === true,
    ctx,
  );
}
