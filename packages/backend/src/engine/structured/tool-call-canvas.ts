// Tool calls on the canvas, in the `<tool_call>{"name": …, "arguments": …}</tool_call>` form the chat
// prompt asks for: one named function's call laid out whole; a choice among several functions (the
// name decided first, then that function's arguments); or `auto`, where the answer's first token
// decides between a call and free text.
import { BranchCanvas } from "./branch-canvas";
import { type CanvasConstraint, maskOf, type StepRules } from "./canvas-rules";
import { type ConstrainedModel, canvasVocabulary } from "./constrained-model";
import { FreeTextCanvas } from "./free-text-canvas";
import { jsonCanvas } from "./json-canvas";

export interface ToolFunction {
  name: string;
  /** Its arguments' JSON Schema. */
  parameters: Record<string, unknown>;
}

export const CALL_OPEN = "<tool_call>";
const CALL_CLOSE = "}</tool_call>";
const NO_PARAMETERS = { type: "object", properties: {}, additionalProperties: false };

/** A call of one of `functions` (one: laid out whole; several: the name first). `lead` is text fixed before it. */
export function toolCallCanvas(functions: ToolFunction[], model: ConstrainedModel, lead = CALL_OPEN): CanvasConstraint {
  const only = functions.length === 1 ? functions[0] : undefined;
  if (only) {
    const before = `${lead}{"name": ${JSON.stringify(only.name)}, "arguments": `;
    return jsonCanvas(only.parameters ?? NO_PARAMETERS, model, { before, after: CALL_CLOSE });
  }
  const names = functions.map((f) => f.name);
  const head = jsonCanvas({ enum: names }, model, { before: `${lead}{"name": ` });
  const tails = functions.map((f) =>
    jsonCanvas(f.parameters ?? NO_PARAMETERS, model, { before: ', "arguments": ', after: CALL_CLOSE }),
  );
  const pick = (tokens: Int32Array) => {
    const text = model.tokenizer.decode(Array.from(tokens).filter((t) => t !== head.pad));
    const index = names.findIndex((name) => text.endsWith(JSON.stringify(name)));
    return index >= 0 ? index : undefined;
  };
  return new BranchCanvas(head, tails, pick);
}

/**
 * `tool_choice: auto`: the first position takes any token that writes text, or the call's opening
 * token; the call's opening token starts a call (the rest of it laid out), anything else starts a
 * free-text answer of up to `length` tokens.
 */
export function toolOrTextCanvas(functions: ToolFunction[], model: ConstrainedModel, length: number): CanvasConstraint {
  const [opening, ...rest] = model.tokenizer.encode(CALL_OPEN);
  if (opening === undefined) throw new Error("the tool-call marker has no tokens");
  const { texts, pad } = canvasVocabulary(model);
  const first = new FirstToken(maskOf([...texts.writing, opening], texts.vocab), pad);
  const call = toolCallCanvas(functions, model, model.tokenizer.decode(rest));
  const text = new FreeTextCanvas(Math.max(1, length - 1), texts, pad);
  return new BranchCanvas(first, [call, text], (head) => (head[0] === opening ? 0 : 1));
}

/** One position that takes one of a set of tokens. */
class FirstToken implements CanvasConstraint {
  readonly length = 1;
  readonly fixed = Int32Array.of(-1);

  constructor(
    readonly allowed: Uint8Array,
    readonly pad: number,
  ) {}

  rules(answer: Int32Array, maskId: number): StepRules {
    return { allowed: answer[0] === maskId ? new Map([[0, this.allowed]]) : new Map(), forced: [] };
  }
}
