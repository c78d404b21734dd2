// Holds what the real server sends to the SDK's schemas: while a test file runs, every response from a
// loopback `/v1/` URL fetched in it (by the SDK, the openai client or raw fetch) is parsed, JSON bodies
// whole and streams frame by frame, strictly: a field the schema does not declare is drift too.
import { isDeepStrictEqual } from "node:util";
import {
  AnnealErrorBodySchema,
  ChatCompletionChunkSchema,
  ChatCompletionSchema,
  EditCompletionSchema,
  FimCompletionChunkSchema,
  FimCompletionSchema,
  ModelListSchema,
  ModelSchema,
} from "@anneal/sdk/schema";
import { afterAll, afterEach, beforeAll } from "vitest";

/** What is used of a zod schema here (the root package does not depend on zod itself). */
interface Schema {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: unknown }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

interface Contract {
  /** The whole body of a 2xx JSON answer. */
  body: Schema;
  /** Each data frame of a stream. */
  chunk?: Schema;
}

/** Which schemas a response of `path` must match; undefined for paths outside the API. */
export function contractFor(path: string): Contract | undefined {
  if (/\/v1\/(chat|apply)\/completions$/.test(path))
    return { body: ChatCompletionSchema, chunk: ChatCompletionChunkSchema };
  if (/\/v1\/edit\/completions$/.test(path)) return { body: EditCompletionSchema };
  if (/\/v1\/(fim\/)?completions$/.test(path)) return { body: FimCompletionSchema, chunk: FimCompletionChunkSchema };
  if (/\/v1\/(\w+\/completions\/)?models$/.test(path)) return { body: ModelListSchema };
  if (/\/v1\/models\/[^/]+$/.test(path)) return { body: ModelSchema };
  return undefined;
}

/** Problems with `value` against `schema`: what fails to parse, and every field the schema does not declare. */
export function contractProblems(schema: Schema, value: unknown): string[] {
  const result = schema.safeParse(value);
  if (!result.success)
    return result.error.issues.map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`);
  if (isDeepStrictEqual(result.data, value)) return [];
  return undeclared(value, result.data, "").map((path) => `${path}: not in the schema`);
}

function undeclared(raw: unknown, parsed: unknown, path: string): string[] {
  if (Array.isArray(raw) && Array.isArray(parsed)) {
    return raw.flatMap((item, index) => undeclared(item, parsed[index], `${path}[${index}]`));
  }
  if (isRecord(raw) && isRecord(parsed)) {
    return Object.keys(raw).flatMap((key) => {
      const at = path ? `${path}.${key}` : key;
      return key in parsed ? undeclared(raw[key], parsed[key], at) : [at];
    });
  }
  return isDeepStrictEqual(raw, parsed) ? [] : [`${path || "(root)"} (changed by parsing)`];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const violations: string[] = [];

function check(where: string, schema: Schema, text: string): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    violations.push(`${where}: not JSON: ${text.slice(0, 120)}`);
    return;
  }
  for (const problem of contractProblems(schema, value)) violations.push(`${where}: ${problem}`);
}

/** A body that passes through unchanged while its JSON or its SSE frames are checked as they go by. */
function tap(response: Response, path: string, contract: Contract): Response {
  if (!response.body) return response;
  const where = `${response.status} ${path}`;
  const failed = response.status >= 400;
  const streaming = (response.headers.get("content-type") ?? "").startsWith("text/event-stream");
  const decoder = new TextDecoder();
  let text = "";
  const frames = () => {
    for (let end = text.indexOf("\n\n"); end >= 0; end = text.indexOf("\n\n")) {
      const frame = text.slice(0, end);
      text = text.slice(end + 2);
      const data = frame
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (!data || data === "[DONE]") continue;
      const isError = data.startsWith('{"error"');
      const schema = isError ? AnnealErrorBodySchema : contract.chunk;
      if (schema) check(`${where} (stream frame)`, schema, data);
      else violations.push(`${where}: streamed, but this endpoint does not stream`);
    }
  };
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        text += decoder.decode(chunk, { stream: true });
        if (streaming && !failed) frames();
        controller.enqueue(chunk);
      },
      flush() {
        text += decoder.decode();
        if (streaming && !failed) frames();
        else if (text) check(where, failed ? AnnealErrorBodySchema : contract.body, text);
      },
    }),
  );
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** Installs the check on the global fetch for this test file; each test fails if what it received broke the contract. */
export function useContractCheck(): void {
  const original = globalThis.fetch;
  beforeAll(() => {
    globalThis.fetch = async (input, init) => {
      const response = await original(input, init);
      const url = new URL(input instanceof Request ? input.url : String(input));
      const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost";
      const contract = loopback ? contractFor(url.pathname) : undefined;
      if (!contract && !(loopback && url.pathname.startsWith("/v1/") && response.status >= 400)) return response;
      return tap(response, url.pathname, contract ?? { body: AnnealErrorBodySchema });
    };
  });
  afterAll(() => {
    globalThis.fetch = original;
  });
  afterEach(() => {
    const found = violations.splice(0);
    if (found.length > 0) throw new Error(`the server broke the contract:\n${found.slice(0, 20).join("\n")}`);
  });
}
