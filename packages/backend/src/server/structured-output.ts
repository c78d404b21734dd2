// How a chat request's response_format is met: a JSON Schema the planner can lay out is decoded on a
// constrained canvas (valid by construction; ajv checks the answer once more as a last line of
// defence); one it cannot is refused naming the keyword when `strict`, else answered by the old
// validate-and-retry path with a warning saying so. `json_object` is decoded under the JSON grammar.
import type { ResponseFormat, Tool, ToolChoice } from "@anneal/sdk/schema";
import type { CanvasConstraint } from "../engine/structured/canvas-rules";
import { jsonCanvas } from "../engine/structured/json-canvas";
import { jsonObjectCanvas } from "../engine/structured/json-object-canvas";
import { UnsupportedSchemaError } from "../engine/structured/schema-layout";
import { badRequest } from "./http-error";
import { type OutputCheck, outputCheck } from "./json-output";
import type { ServedModel } from "./served-model";

export type StructuredOutput =
  | { kind: "none" }
  /** Laid out on the canvas; `check` is the last line of defence (a failure is a bug, a 500). */
  | { kind: "canvas"; constraint: CanvasConstraint; check: OutputCheck }
  /** Decoded under the JSON grammar on a canvas of the answer's length (json_object). */
  | { kind: "grammar"; canvas: (length: number) => CanvasConstraint; check: OutputCheck }
  /** Generated freely, validated, retried; `warning` goes into the response when set. */
  | { kind: "retry"; check: OutputCheck; warning: string | undefined };

/** `layOut` false keeps the retry path (a request with tools, whose answer may be a call instead). */
export function structuredOutput(
  served: ServedModel,
  format: ResponseFormat | undefined,
  layOut = true,
): StructuredOutput {
  const check = outputCheck(format);
  if (!format || !check) return { kind: "none" };
  if (!layOut) return { kind: "retry", check, warning: undefined };
  if (format.type === "json_object" || (format.type === "json_schema" && isAnyObject(format.json_schema.schema))) {
    return { kind: "grammar", canvas: (length) => jsonObjectCanvas(length, served.checkpoint), check };
  }
  if (format.type !== "json_schema" || !format.json_schema.schema) return { kind: "retry", check, warning: undefined };
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
 * A call the request requires of one function (`tool_choice` naming it, or `required` with one tool)
 * is laid out too: `<tool_call>{"name": …, "arguments": ` fixed, the arguments from the function's
 * parameter schema. Other tool requests (several tools, `auto`) keep the parse-and-retry path.
 */
export function toolCallOutput(served: ServedModel, tools: Tool[], choice: ToolChoice | undefined): StructuredOutput {
  const named =
    typeof choice === "object"
      ? choice.function.name
      : choice === "required" && tools.length === 1
        ? tools[0]?.function.name
        : undefined;
  const tool = tools.find((t) => t.function.name === named);
  if (named === undefined) return { kind: "none" };
  if (!tool) throw badRequest(`tool_choice names "${named}", which is not among tools.`, "tool_choice");
  const parameters = tool.function.parameters ?? { type: "object", properties: {}, additionalProperties: false };
  const check = toolCallCheck(named, parameters);
  try {
    const frame = { before: `<tool_call>{"name": ${JSON.stringify(named)}, "arguments": `, after: "}</tool_call>" };
    return { kind: "canvas", constraint: jsonCanvas(parameters, served.checkpoint, frame), check };
  } catch (error) {
    if (!(error instanceof UnsupportedSchemaError)) throw error;
    if (tool.function.strict === true) throw badRequest(`tools: ${named}'s parameters: ${error.message}.`, "tools");
    return { kind: "none" };
  }
}

/** The arguments of the one call in a laid-out answer, against the function's parameter schema. */
function toolCallCheck(name: string, parameters: Record<string, unknown>): OutputCheck {
  const check = outputCheck({ type: "json_schema", json_schema: { name, schema: parameters } }) as OutputCheck;
  return (text) => {
    const match = /^<tool_call>([\s\S]*)<\/tool_call>$/.exec(text.trim());
    if (!match) return "the answer is not one tool call";
    let call: { name?: unknown; arguments?: unknown };
    try {
      call = JSON.parse(match[1] as string) as typeof call;
    } catch {
      return "the tool call is not JSON";
    }
    if (call.name !== name) return `the call names ${JSON.stringify(call.name)}`;
    return check(JSON.stringify(call.arguments));
  };
}

/** `{"type": "object"}` with nothing but annotations: any object, which is what the JSON grammar makes. */
function isAnyObject(schema: Record<string, unknown> | undefined): boolean {
  if (schema?.type !== "object") return false;
  const annotations = new Set(["type", "$id", "$schema", "title", "description", "$comment"]);
  return Object.keys(schema).every((keyword) => annotations.has(keyword));
}
