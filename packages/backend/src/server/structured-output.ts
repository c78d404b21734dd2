// How a chat request's response_format is met: a JSON Schema the planner can lay out is decoded on a
// constrained canvas (valid by construction; ajv checks the answer once more as a last line of
// defence); one it cannot is refused naming the keyword when `strict`, else answered by the old
// validate-and-retry path with a warning saying so. `json_object` is decoded under the JSON grammar.
import type { ResponseFormat, Tool, ToolChoice } from "@anneal/sdk/schema";
import type { CanvasConstraint } from "../engine/structured/canvas-rules";
import { jsonCanvas } from "../engine/structured/json-canvas";
import { jsonObjectCanvas } from "../engine/structured/json-grammar-canvas";
import { layOutSchema, UnsupportedSchemaError } from "../engine/structured/schema-layout";
import { type ToolFunction, toolCallCanvas, toolOrTextCanvas } from "../engine/structured/tool-call-canvas";
import { badRequest } from "./http-error";
import { type OutputCheck, outputCheck } from "./json-output";
import type { ServedModel } from "./served-model";

/** `warning`, when set, goes into the response. */
export type StructuredOutput =
  | { kind: "none" }
  /** Laid out on the canvas; `check` is the last line of defence (a failure is a bug, a 500). */
  | { kind: "canvas"; constraint: CanvasConstraint; check: OutputCheck; warning?: string }
  /** On a canvas of the answer's length: the JSON grammar (json_object), or a call-or-text choice. */
  | { kind: "grammar"; canvas: (length: number) => CanvasConstraint; check: OutputCheck; warning?: string }
  /** Generated freely, validated, retried. */
  | { kind: "retry"; check: OutputCheck; warning?: string };

/**
 * How a chat answer is shaped: with tools, as a call (or, under `auto`, perhaps text) laid out from
 * the functions' parameters — a response_format then is not applied, and the warning says so;
 * otherwise as the response_format asks.
 */
export function chatOutput(
  served: ServedModel,
  tools: Tool[] | undefined,
  choice: ToolChoice | undefined,
  format: ResponseFormat | undefined,
): StructuredOutput {
  const calls = tools?.length ? toolCallOutput(served, tools, choice) : undefined;
  if (!calls || calls.kind === "none") return structuredOutput(served, format, !calls);
  if (!format || format.type === "text") return calls;
  return {
    ...calls,
    warning:
      "response_format applies to text answers; with tools the answer was laid out as a call (or free text), not checked against it.",
  };
}

/** `layOut` false keeps the retry path (a request with tools, whose answer may be a call instead). */
export function structuredOutput(
  served: ServedModel,
  format: ResponseFormat | undefined,
  layOut = true,
): StructuredOutput {
  const check = outputCheck(format);
  if (!format || !check) return { kind: "none" };
  if (!layOut) return { kind: "retry", check };
  if (format.type === "json_object" || (format.type === "json_schema" && isAnyObject(format.json_schema.schema))) {
    return { kind: "grammar", canvas: (length) => jsonObjectCanvas(length, served.checkpoint), check };
  }
  if (format.type !== "json_schema" || !format.json_schema.schema) return { kind: "retry", check };
  try {
    return { kind: "canvas", constraint: jsonCanvas(format.json_schema.schema, served.checkpoint), check };
  } catch (error) {
    if (!(error instanceof UnsupportedSchemaError)) throw error;
    const why = `${error.message}; this server lays out objects, arrays, strings with length bounds, integers and numbers within bounds, enums, consts, booleans, null and anyOf of constants`;
    if (format.json_schema.strict === true)
      throw badRequest(`response_format.json_schema.schema: ${why}.`, "response_format");
    return {
      kind: "retry",
      check,
      warning: `The schema was not laid out on the canvas (${why}): the answer was generated freely and validated.`,
    };
  }
}

/**
 * Tool calls on the canvas: a named `tool_choice` lays out that function's call, `required` a call of
 * one of the tools (the name first), `auto` lets the answer's first token choose between a call and
 * text. A function whose parameters cannot be laid out sends the request down the parse-and-retry
 * path, or is a 400 when that function is `strict`.
 */
export function toolCallOutput(served: ServedModel, tools: Tool[], choice: ToolChoice | undefined): StructuredOutput {
  const named = typeof choice === "object" ? choice.function.name : undefined;
  const chosen = named === undefined ? tools : tools.filter((t) => t.function.name === named);
  if (chosen.length === 0) throw badRequest(`tool_choice names "${named}", which is not among tools.`, "tool_choice");
  const functions = chosen.map((t) => ({ name: t.function.name, parameters: t.function.parameters ?? NO_PARAMETERS }));
  const check = toolCallCheck(functions, choice === "auto" || choice === undefined);
  try {
    for (const f of functions) layOutSchema(f.parameters); // refuse before any work
  } catch (error) {
    if (!(error instanceof UnsupportedSchemaError)) throw error;
    const strict = chosen.find((t) => t.function.strict === true);
    if (strict) throw badRequest(`tools: ${strict.function.name}'s parameters: ${error.message}.`, "tools");
    return { kind: "none" };
  }
  if (named !== undefined || choice === "required") {
    return { kind: "canvas", constraint: toolCallCanvas(functions, served.checkpoint), check };
  }
  return { kind: "grammar", canvas: (length) => toolOrTextCanvas(functions, served.checkpoint, length), check };
}

const NO_PARAMETERS = { type: "object", properties: {}, additionalProperties: false };

/** A laid-out call names one of `functions` with arguments of its schema; text passes when it may be text. */
function toolCallCheck(functions: ToolFunction[], textAllowed: boolean): OutputCheck {
  const checks = new Map(
    functions.map((f) => [
      f.name,
      outputCheck({ type: "json_schema", json_schema: { name: f.name, schema: f.parameters } }) as OutputCheck,
    ]),
  );
  return (text) => {
    const match = /^<tool_call>([\s\S]*)<\/tool_call>$/.exec(text.trim());
    if (!match) return textAllowed && !text.includes("<tool_call>") ? undefined : "the answer is not one tool call";
    let call: { name?: unknown; arguments?: unknown };
    try {
      call = JSON.parse(match[1] as string) as typeof call;
    } catch {
      return "the tool call is not JSON";
    }
    const check = checks.get(String(call.name));
    if (!check) return `the call names ${JSON.stringify(call.name)}`;
    return check(JSON.stringify(call.arguments));
  };
}

/** `{"type": "object"}` with nothing but annotations: any object, which is what the JSON grammar makes. */
function isAnyObject(schema: Record<string, unknown> | undefined): boolean {
  if (schema?.type !== "object") return false;
  const annotations = new Set(["type", "$id", "$schema", "title", "description", "$comment"]);
  return Object.keys(schema).every((keyword) => annotations.has(keyword));
}
