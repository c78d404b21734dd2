// Apply edit: builds the `<|original_code|>` / `<|update_snippet|>` prompt and reads the merged code.
import { MercuryError } from "../errors";
import type { TaggedPromptMessage } from "../schema/tagged-prompt";
import { stripCodeFence } from "./code-fence";

/** Marks elided regions in an update snippet. */
export const EXISTING_CODE_MARKER = "// ... existing code ...";

export interface ApplyEditInput {
  /** The whole original code. */
  originalCode: string;
  /** The changed parts, with `// ... existing code ...` where code is left out. */
  updateSnippet: string;
}

export interface ApplyEditPrompt {
  content: string;
  /** `[{ role: "user", content }]`, ready for `client.apply.completions.create`. */
  messages: [TaggedPromptMessage];
}

export function buildApplyEditPrompt({ originalCode, updateSnippet }: ApplyEditInput): ApplyEditPrompt {
  const content = [
    `<|original_code|>\n${withoutFinalNewline(originalCode)}\n<|/original_code|>`,
    `<|update_snippet|>\n${withoutFinalNewline(updateSnippet)}\n<|/update_snippet|>`,
  ].join("\n\n");
  return { content, messages: [{ role: "user", content }] };
}

/** The merged code from the reply, without a surrounding code fence or `<|updated_code|>` tags. */
export function parseApplyEditReply(reply: string | null | undefined): string {
  if (reply === null || reply === undefined || reply.trim() === "") {
    throw new MercuryError("The apply-edit reply was empty.");
  }
  return stripCodeFence(reply)
    .replace(/^\s*<\|updated_code\|>\n?/, "")
    .replace(/\n?<\|\/updated_code\|>\s*$/, "");
}

function withoutFinalNewline(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}
