// The error body every endpoint returns, OpenAI style, including Mercury's list-of-problems form.
import { z } from "zod";

/** One validation problem, pydantic style: `loc` is the path to the bad field. */
export const ValidationIssueSchema = z.object({
  loc: z.array(z.union([z.string(), z.number()])),
  msg: z.string(),
  type: z.string().optional(),
  input: z.unknown().optional(),
  ctx: z.record(z.string(), z.unknown()).optional(),
});

export const ErrorObjectSchema = z.object({
  message: z.union([z.string(), z.array(ValidationIssueSchema)]),
  type: z.string().nullish(),
  param: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
});

/** `{"error": {...}}`: the body of a 4xx/5xx response and of an error frame inside a stream. */
export const ErrorBodySchema = z.object({ error: ErrorObjectSchema });

export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;
export type ErrorObject = z.infer<typeof ErrorObjectSchema>;
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
