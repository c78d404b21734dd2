// Next edit: builds the tagged prompt (recent snippets, current file with editable region and cursor,
// edit history) and reads the fenced reply, including "no suggestion".
import type { TaggedPromptMessage } from "../schema/tagged-prompt";
import { stripCodeFence } from "./code-fence";

export interface CodeSnippet {
  path: string;
  content: string;
}

/** 1-based line and column, as editors show them. */
export interface CursorPosition {
  line: number;
  column: number;
}

/** 1-based, inclusive line range. */
export interface LineRange {
  startLine: number;
  endLine: number;
}

export interface NextEditInput {
  /** Code the user looked at recently; 3–5 snippets of about 20 lines, always their latest text. */
  recentlyViewed?: CodeSnippet[] | undefined;
  /** The whole file being edited. */
  file: CodeSnippet;
  cursor: CursorPosition;
  /** Lines the model may rewrite. Default: 5 lines above the cursor to 10 below. */
  editableRegion?: LineRange | undefined;
  /** Recent edits as unified diffs (`---`/`+++`/`@@`), oldest first. */
  editHistory?: string[] | undefined;
}

export interface NextEditPrompt {
  /** The tagged prompt, i.e. the content of the single user message. */
  content: string;
  /** `[{ role: "user", content }]`, ready for `client.edit.completions.create`. */
  messages: [TaggedPromptMessage];
  /** The editable region as it is now. */
  region: LineRange & { text: string };
  /** The file around the region, so a suggestion can be put back in place. */
  before: string;
  after: string;
}

export type NextEditSuggestion = { kind: "none" } | { kind: "edit"; text: string };

export const CURSOR_TAG = "<|cursor|>";
const DEFAULT_LINES_ABOVE = 5;
const DEFAULT_LINES_BELOW = 10;

export function buildNextEditPrompt(input: NextEditInput): NextEditPrompt {
  // A final newline ends the last line; it is not an extra empty line the model could rewrite.
  const finalNewline = input.file.content.endsWith("\n") ? "\n" : "";
  const lines = input.file.content.slice(0, input.file.content.length - finalNewline.length).split("\n");
  const cursorLine = clamp(input.cursor.line, 1, lines.length);
  const region = clampRange(
    input.editableRegion ?? {
      startLine: cursorLine - DEFAULT_LINES_ABOVE,
      endLine: cursorLine + DEFAULT_LINES_BELOW,
    },
    lines.length,
  );
  if (cursorLine < region.startLine || cursorLine > region.endLine) {
    throw new RangeError(`The cursor (line ${cursorLine}) is outside the editable region.`);
  }

  // file = before + region text + after, where region text has no trailing newline.
  const before = lines
    .slice(0, region.startLine - 1)
    .map((line) => `${line}\n`)
    .join("");
  const regionLines = lines.slice(region.startLine - 1, region.endLine);
  const rest = lines.slice(region.endLine);
  const after = (rest.length > 0 ? `\n${rest.join("\n")}` : "") + finalNewline;

  const withCursor = [...regionLines];
  const index = cursorLine - region.startLine;
  const cursorText = withCursor[index] as string;
  const column = clamp(input.cursor.column, 1, cursorText.length + 1);
  withCursor[index] = cursorText.slice(0, column - 1) + CURSOR_TAG + cursorText.slice(column - 1);

  const below = after.slice(1);
  const currentFile = [
    `current_file_path: ${input.file.path}\n`,
    before,
    `<|code_to_edit|>\n${withCursor.join("\n")}\n<|/code_to_edit|>\n`,
    below && !below.endsWith("\n") ? `${below}\n` : below,
  ].join("");

  const content = [
    section("recently_viewed_code_snippets", (input.recentlyViewed ?? []).map(snippet).join("\n\n")),
    `<|current_file_content|>\n${currentFile}<|/current_file_content|>`,
    section("edit_diff_history", (input.editHistory ?? []).map(endWithNewline).join("")),
  ].join("\n\n");

  return {
    content,
    messages: [{ role: "user", content }],
    region: { ...region, text: regionLines.join("\n") },
    before,
    after,
  };
}

/**
 * Reads the model's reply: the rewritten region in a code fence, or `None` for no suggestion.
 * A reply identical to the current region is also "none".
 */
export function parseNextEditReply(reply: string | null | undefined, prompt?: NextEditPrompt): NextEditSuggestion {
  const trimmed = (reply ?? "").trim();
  if (trimmed === "" || trimmed === "None") return { kind: "none" };
  const text = stripCodeFence(reply as string)
    .replaceAll(CURSOR_TAG, "")
    .replace(/^<\|code_to_edit\|>\n?/, "")
    .replace(/\n?<\|\/code_to_edit\|>\s*$/, "");
  if (text.trim() === "None") return { kind: "none" };
  if (prompt && text === prompt.region.text) return { kind: "none" };
  return { kind: "edit", text };
}

/** The file with the suggestion in place of the editable region. */
export function applyNextEdit(prompt: NextEditPrompt, suggestion: NextEditSuggestion): string {
  const regionText = suggestion.kind === "edit" ? suggestion.text : prompt.region.text;
  return prompt.before + regionText + prompt.after;
}

function snippet({ path, content }: CodeSnippet): string {
  return `<|recently_viewed_code_snippet|>\ncode_snippet_file_path: ${path}\n${content.replace(/\n$/, "")}\n<|/recently_viewed_code_snippet|>`;
}

/** `<|tag|>\nbody\n<|/tag|>`; an empty body gives the documented empty wrapper `<|tag|>\n\n<|/tag|>`. */
function section(tag: string, body: string): string {
  return `<|${tag}|>\n${body}\n<|/${tag}|>`;
}

function endWithNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

function clampRange(range: LineRange, lineCount: number): LineRange {
  const startLine = clamp(range.startLine, 1, lineCount);
  return { startLine, endLine: clamp(range.endLine, startLine, lineCount) };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(Math.trunc(value), low), high);
}
