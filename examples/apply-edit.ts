// Apply edit: merge an update snippet (with `// ... existing code ...` markers) into the original.
import { buildApplyEditPrompt, EXISTING_CODE_MARKER, Mercury, parseApplyEditReply } from "@anneal/sdk";

const client = new Mercury();
const prompt = buildApplyEditPrompt({
  originalCode:
    "class Counter:\n    def __init__(self):\n        self.n = 0\n\n    def inc(self):\n        self.n += 1\n",
  updateSnippet: `${EXISTING_CODE_MARKER}\n    def reset(self):\n        self.n = 0\n`,
});

const completion = await client.apply.completions.create({
  model: process.env.ANNEAL_EDIT_MODEL ?? "mercury-edit-2",
  messages: prompt.messages,
});
const reply = completion.choices[0]?.message.content;
console.log(reply?.trim() ? `merged:\n${parseApplyEditReply(reply)}` : "the model returned no merged code");
