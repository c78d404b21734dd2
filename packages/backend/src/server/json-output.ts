// Structured output: checks an answer against `response_format` (JSON, or a JSON Schema via ajv).
// Each request compiles its schema with its own Ajv: a shared instance would cache every schema
// forever (memory that grows per request) and refuse a second schema with the same `$id`.
import type { ResponseFormat } from "@anneal/sdk/schema";
import { Ajv } from "ajv";
import { badRequest } from "./http-error";

/** Undefined when an answer satisfies the format, else what is wrong with it. */
export type OutputCheck = (text: string) => string | undefined;

/** The check for a request's response_format; a schema that does not compile is the client's 400. */
export function outputCheck(format: ResponseFormat | undefined): OutputCheck | undefined {
  if (!format || format.type === "text") return undefined;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate =
    format.type === "json_schema" && format.json_schema.schema ? compile(ajv, format.json_schema.schema) : undefined;
  return (text) => {
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
    if (!validate || validate(value)) return undefined;
    return `the answer does not match the schema: ${ajv.errorsText(validate.errors)}`;
  };
}

function compile(ajv: Ajv, schema: Record<string, unknown>) {
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw badRequest(
      `response_format.json_schema.schema is not a valid JSON Schema: ${(error as Error).message}`,
      "response_format",
    );
  }
}
