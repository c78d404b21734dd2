// anneal fim FILE --at LINE:COL: infill at the cursor (prefix and suffix from the file); --write applies it,
// --json keeps a JSON file JSON (the server decodes the infill under the JSON grammar).
import type { Context } from "../context";
import { offsetOf, parsePosition } from "../files/position";
import { readSourceFile } from "../files/source-file";
import { positiveInteger } from "./ask";
import { showOrWrite } from "./code-change";

export async function fim(
  path: string,
  options: { at: string; write?: boolean; maxTokens?: string; json?: boolean },
  ctx: Context,
): Promise<void> {
  const file = readSourceFile(path);
  const content = file.text;
  const cursor = offsetOf(content, parsePosition(options.at, "--at"), path);
  const completion = await ctx.client().fim.completions.create({
    model: ctx.settings.model,
    prompt: content.slice(0, cursor),
    suffix: content.slice(cursor),
    max_tokens: options.maxTokens ? positiveInteger(options.maxTokens, "--max-tokens") : 64,
    ...(options.json ? { response_format: { type: "json_object" as const } } : {}),
  });
  const infill = completion.choices[0]?.text ?? "";
  showOrWrite(file, content.slice(0, cursor) + infill + content.slice(cursor), options.write === true, ctx);
}
