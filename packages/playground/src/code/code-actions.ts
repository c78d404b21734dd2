// The code tab's three requests, each turning the user's code into a proposed change:
// fill in the middle at the caret, the next edit near the caret, and merging an update snippet.
import {
  applyNextEdit,
  buildApplyEditPrompt,
  buildNextEditPrompt,
  type Mercury,
  parseApplyEditReply,
  parseNextEditReply,
} from "@anneal/sdk";
import { lineColumnAt, splitAtCaret } from "./caret";
import type { Proposal } from "./proposal";

export interface CodeRequest {
  client: Mercury;
  model: string;
  code: string;
  caret: number;
  maxTokens: number;
  signal: AbortSignal;
}

/** `json`: the code is a JSON document and must stay one (Anneal's JSON infill; the caret where a value or member goes, or inside a string). */
export async function fillAtCaret(request: CodeRequest & { json?: boolean }): Promise<Proposal> {
  const { prefix, suffix } = splitAtCaret(request.code, request.caret);
  const completion = await request.client.fim.completions.create(
    {
      model: request.model,
      prompt: prefix,
      suffix,
      max_tokens: request.maxTokens,
      ...(request.json ? { response_format: { type: "json_object" as const } } : {}),
    },
    { signal: request.signal },
  );
  const text = completion.choices[0]?.text ?? "";
  return {
    before: request.code,
    after: prefix + text + suffix,
    caret: prefix.length + text.length,
    note: text ? undefined : "The model proposes nothing at the caret.",
  };
}

export async function nextEdit(request: CodeRequest & { path: string }): Promise<Proposal> {
  const prompt = buildNextEditPrompt({
    file: { path: request.path || "untitled", content: request.code },
    cursor: lineColumnAt(request.code, request.caret),
  });
  const reply = await request.client.edit.completions.create(
    { model: request.model, messages: prompt.messages, max_tokens: request.maxTokens },
    { signal: request.signal },
  );
  const suggestion = parseNextEditReply(reply.choices[0]?.message.content, prompt);
  if (suggestion.kind === "none")
    return { before: request.code, after: request.code, note: "No edit suggested near the caret." };
  return { before: request.code, after: applyNextEdit(prompt, suggestion) };
}

export async function applyUpdate(request: CodeRequest & { snippet: string }): Promise<Proposal> {
  const prompt = buildApplyEditPrompt({ originalCode: request.code, updateSnippet: request.snippet });
  const reply = await request.client.apply.completions.create(
    { model: request.model, messages: prompt.messages, max_tokens: request.maxTokens },
    { signal: request.signal },
  );
  return { before: request.code, after: parseApplyEditReply(reply.choices[0]?.message.content) };
}
