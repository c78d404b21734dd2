// Structured output: checks an answer against `response_format` (JSON, or a JSON Schema via ajv).
import type { ResponseFormat } from "@anneal/sdk/schema";
import { Ajv } from "ajv";

const ajv = new Ajv({ allErrors: true, strict: false });

/** Undefined when the answer satisfies the format, else what is wrong with it. */
export function jsonOutputProblem(text: string, format: ResponseFormat | undefined): string | undefined {
  if (!format || format.type === "text") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "the answer is not valid JSON";
  }
  if (format.type === "json_object") {
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? undefined
      : "the answer is not a JSON object";
  }
  const schema = format.json_schema.schema;
  if (!schema) return undefined;
  const validate = ajv.compile(schema);
  return validate(value) ? undefined : `the answer does not match the schema: ${ajv.errorsText(validate.errors)}`;
}

/** Compiles the schema once up front, so a broken schema is the client's 400, not a 500 later. */
export function schemaProblem(format: ResponseFormat | undefined): string | undefined {
  if (format?.type !== "json_schema" || !format.json_schema.schema) return undefined;
  try {
    ajv.compile(format.json_schema.schema);
    return undefined;
  } catch (error) {
    return `response_format.json_schema.schema is not a valid JSON Schema: ${(error as Error).message}`;
  }
}
