// Next edit: send the file, the cursor and recent edits; get the rewritten region back (or none).
import { applyNextEdit, buildNextEditPrompt, Mercury, parseNextEditReply } from "@anneal/sdk";

const client = new Mercury();
const prompt = buildNextEditPrompt({
  file: { path: "stats.py", content: "def mean(values):\n    return sum(xs) / len(xs)\n" },
  cursor: { line: 2, column: 18 },
  editHistory: ["--- stats.py\n+++ stats.py\n@@ -1,1 +1,1 @@\n-def mean(xs):\n+def mean(values):\n"],
});

const completion = await client.edit.completions.create({
  model: process.env.ANNEAL_EDIT_MODEL ?? "mercury-edit-2",
  messages: prompt.messages,
});
const suggestion = parseNextEditReply(completion.choices[0]?.message.content, prompt);
if (suggestion.kind === "none") console.log("no suggestion");
else console.log(`new file:\n${applyNextEdit(prompt, suggestion)}`);
