// Fill in the middle: complete the code between a prefix and a suffix.
import { Mercury } from "@anneal/sdk";

const client = new Mercury();
const completion = await client.fim.completions.create({
  model: process.env.ANNEAL_EDIT_MODEL ?? "mercury-edit-2",
  prompt: "def mean(values):\n    ",
  suffix: "\n\nprint(mean([1, 2, 3]))\n",
  max_tokens: 64,
});
console.log(`infill: ${JSON.stringify(completion.choices[0]?.text)}`);
