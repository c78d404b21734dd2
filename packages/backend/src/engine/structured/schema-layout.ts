// JSON Schema → the layout of an answer on the canvas: fixed text (braces, keys, quotes, commas),
// value slots, and optional array elements. Only what can be constrained token by token is accepted;
// anything else is refused naming the keyword, so an answer is never promised valid when it is not.

import { type NumberRange, SAFE_DIGITS } from "./number-rules";

/** A schema feature the planner cannot lay out; `keyword` names it (e.g. `pattern`). */
export class UnsupportedSchemaError extends Error {
  constructor(
    readonly keyword: string,
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${keyword} ${detail}`);
  }
}

export type Piece =
  | { kind: "fixed"; text: string }
  /** A string's characters (the quotes around it are fixed pieces). */
  | { kind: "string"; budget: number; minChars: number; maxChars: number | undefined }
  /** A number within its range (an integer when `range.decimals` is 0). */
  | { kind: "number"; budget: number; range: NumberRange }
  /** One of these JSON texts (enum, boolean, anyOf of constants). */
  | { kind: "choice"; options: string[] }
  /** An array element the model may leave out; present when its gate is written (`,` or a space). */
  | { kind: "optional"; gate: "," | " "; pieces: Piece[] };

export interface LayoutLimits {
  /** Tokens for a string without maxLength. */
  stringTokens: number;
  /** Elements laid out for an array without maxItems. */
  arrayItems: number;
}

export const DEFAULT_LAYOUT_LIMITS: LayoutLimits = { stringTokens: 24, arrayItems: 4 };

type Schema = Record<string, unknown>;

/** Keywords that only annotate, or that every laid-out answer satisfies. */
const HARMLESS = new Set([
  "type",
  "title",
  "description",
  "examples",
  "default",
  "$schema",
  "$id",
  "$comment",
  "$defs",
  "definitions",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "enum",
  "const",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "anyOf",
  "oneOf",
  "$ref",
  "strict",
  "deprecated",
  "readOnly",
  "writeOnly",
  "minProperties",
  "maxProperties",
]);

const MAX_DEPTH = 12;

export function layOutSchema(root: unknown, limits: LayoutLimits = DEFAULT_LAYOUT_LIMITS): Piece[] {
  const pieces: Piece[] = [];
  layOut(asSchema(root, "schema"), root as Schema, "schema", 0, limits, pieces);
  return merged(pieces);
}

function layOut(schema: Schema, root: Schema, path: string, depth: number, limits: LayoutLimits, out: Piece[]): void {
  if (depth > MAX_DEPTH) throw new UnsupportedSchemaError("$ref", path, `nests deeper than ${MAX_DEPTH} levels`);
  for (const keyword of Object.keys(schema)) {
    if (!HARMLESS.has(keyword)) throw new UnsupportedSchemaError(keyword, path, "cannot be constrained token by token");
  }
  if (typeof schema.$ref === "string") {
    layOut(resolveRef(schema.$ref, root, path), root, `${path}.$ref`, depth + 1, limits, out);
    return;
  }
  if ("const" in schema) {
    out.push({ kind: "fixed", text: JSON.stringify(schema.const) });
    return;
  }
  if (Array.isArray(schema.enum)) {
    out.push(choice(schema.enum, path));
    return;
  }
  const alternatives = (schema.anyOf ?? schema.oneOf) as unknown;
  if (Array.isArray(alternatives)) {
    out.push(
      choice(
        alternatives.flatMap((alternative, i) => constants(alternative, root, `${path}.anyOf[${i}]`)),
        path,
      ),
    );
    return;
  }
  const type = schema.type;
  if (Array.isArray(type)) throw new UnsupportedSchemaError("type", path, "as a list of types is not supported");
  switch (type) {
    case "object":
      layOutObject(schema, root, path, depth, limits, out);
      return;
    case "array":
      layOutArray(schema, root, path, depth, limits, out);
      return;
    case "string":
      layOutString(schema, path, limits, out);
      return;
    case "integer":
    case "number":
      out.push(number(schema, path, type === "integer" ? 0 : DECIMALS));
      return;
    case "boolean":
      out.push({ kind: "choice", options: ["true", "false"] });
      return;
    case "null":
      out.push({ kind: "fixed", text: "null" });
      return;
    default:
      throw new UnsupportedSchemaError("type", path, `${JSON.stringify(type)}: give each value a type`);
  }
}

function layOutObject(schema: Schema, root: Schema, path: string, depth: number, limits: LayoutLimits, out: Piece[]) {
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  const names = Object.keys(properties);
  if (names.length === 0 && schema.additionalProperties !== false && schema.properties === undefined) {
    throw new UnsupportedSchemaError("properties", path, "are needed: a free-form object cannot be laid out");
  }
  const count = names.length;
  if (typeof schema.minProperties === "number" && count < schema.minProperties) {
    throw new UnsupportedSchemaError("minProperties", path, `asks for more than the ${count} properties declared`);
  }
  if (typeof schema.maxProperties === "number" && count > schema.maxProperties) {
    throw new UnsupportedSchemaError("maxProperties", path, `allows fewer than the ${count} properties declared`);
  }
  // Every declared property is written, required or not: an answer with all of them satisfies the schema.
  out.push({ kind: "fixed", text: "{" });
  names.forEach((name, i) => {
    out.push({ kind: "fixed", text: `${i > 0 ? ", " : ""}${JSON.stringify(name)}: ` });
    layOut(asSchema(properties[name], `${path}.${name}`), root, `${path}.${name}`, depth + 1, limits, out);
  });
  out.push({ kind: "fixed", text: "}" });
}

function layOutArray(schema: Schema, root: Schema, path: string, depth: number, limits: LayoutLimits, out: Piece[]) {
  const items = asSchema(schema.items ?? {}, `${path}.items`);
  const min = typeof schema.minItems === "number" ? schema.minItems : 0;
  const max = typeof schema.maxItems === "number" ? schema.maxItems : Math.max(min, limits.arrayItems);
  if (max > Math.max(min, 64)) throw new UnsupportedSchemaError("maxItems", path, "above 64 is not laid out");
  out.push({ kind: "fixed", text: "[" });
  let tail = out;
  for (let k = 0; k < max; k++) {
    const element: Piece[] = [];
    layOut(items, root, `${path}[${k}]`, depth + 1, limits, element);
    if (k < min) {
      if (k > 0) tail.push({ kind: "fixed", text: "," });
      tail.push(...element);
    } else {
      // Element k is there only if k − 1 is: each optional element holds the next.
      const optional: Piece = { kind: "optional", gate: k > 0 ? "," : " ", pieces: element };
      tail.push(optional);
      tail = optional.pieces;
    }
  }
  out.push({ kind: "fixed", text: "]" });
}

function layOutString(schema: Schema, path: string, limits: LayoutLimits, out: Piece[]) {
  const minChars = typeof schema.minLength === "number" ? schema.minLength : 0;
  const maxChars = typeof schema.maxLength === "number" ? schema.maxLength : undefined;
  if (maxChars !== undefined && maxChars < minChars)
    throw new UnsupportedSchemaError("maxLength", path, "is below minLength");
  if (minChars > 256) throw new UnsupportedSchemaError("minLength", path, "above 256 is not laid out");
  // A token writes at least one character, so minLength tokens always suffice to reach it.
  const cap = maxChars === undefined ? limits.stringTokens : Math.min(maxChars, 256);
  const budget = Math.max(minChars, cap);
  out.push({ kind: "fixed", text: '"' });
  out.push({ kind: "string", budget: Math.max(1, budget), minChars, maxChars });
  out.push({ kind: "fixed", text: '"' });
}

/** Fraction digits a `number` may have on the canvas. */
const DECIMALS = 6;

function number(schema: Schema, path: string, decimals: number): Piece {
  const limit = 10 ** SAFE_DIGITS - 1;
  const read = (inclusive: string, exclusive: string) =>
    typeof schema[exclusive] === "number"
      ? { value: schema[exclusive] as number, exclusive: true }
      : typeof schema[inclusive] === "number"
        ? { value: schema[inclusive] as number, exclusive: false }
        : undefined;
  const low = read("minimum", "exclusiveMinimum") ?? { value: -limit, exclusive: false };
  const high = read("maximum", "exclusiveMaximum") ?? { value: limit, exclusive: false };
  let range: NumberRange = {
    min: Math.max(-limit, low.value),
    max: Math.min(limit, high.value),
    minExclusive: low.exclusive,
    maxExclusive: high.exclusive,
    decimals,
  };
  if (decimals === 0) {
    // Integers: the bounds as the nearest integers inside them.
    const min = low.exclusive ? Math.floor(range.min) + 1 : Math.ceil(range.min);
    const max = high.exclusive ? Math.ceil(range.max) - 1 : Math.floor(range.max);
    range = { min, max, minExclusive: false, maxExclusive: false, decimals };
  }
  if (range.min > range.max || (range.min === range.max && (range.minExclusive || range.maxExclusive))) {
    throw new UnsupportedSchemaError("minimum", path, "leaves no number in range");
  }
  const digits = Math.max(
    String(Math.trunc(Math.abs(range.min))).length,
    String(Math.trunc(Math.abs(range.max))).length,
  );
  const budget = digits + (range.min < 0 ? 1 : 0) + (decimals > 0 ? 1 + decimals : 0);
  return { kind: "number", budget, range };
}

function choice(values: unknown[], path: string): Piece {
  if (values.length === 0) throw new UnsupportedSchemaError("enum", path, "is empty");
  const options = [...new Set(values.map((value) => JSON.stringify(value)))];
  return options.length === 1 ? { kind: "fixed", text: options[0] as string } : { kind: "choice", options };
}

/** The constant values an anyOf alternative stands for; anything else is beyond "simple alternatives". */
function constants(alternative: unknown, root: Schema, path: string): unknown[] {
  let schema = asSchema(alternative, path);
  if (typeof schema.$ref === "string") schema = resolveRef(schema.$ref, root, path);
  if ("const" in schema) return [schema.const];
  if (Array.isArray(schema.enum)) return schema.enum;
  if (schema.type === "boolean") return [true, false];
  if (schema.type === "null") return [null];
  throw new UnsupportedSchemaError("anyOf", path, "is supported between constants, enums, booleans and null only");
}

function resolveRef(ref: string, root: Schema, path: string): Schema {
  const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
  const target = match
    ? (root[match[1] as string] as Record<string, unknown> | undefined)?.[match[2] as string]
    : undefined;
  if (target === undefined)
    throw new UnsupportedSchemaError("$ref", path, `${JSON.stringify(ref)} does not name a $defs entry`);
  return asSchema(target, path);
}

function asSchema(value: unknown, path: string): Schema {
  if (value === true) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UnsupportedSchemaError("type", path, "must be described by a schema object");
  }
  return value as Schema;
}

/** Adjacent fixed texts as one run (tokenized together). */
function merged(pieces: Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const piece of pieces) {
    const last = out.at(-1);
    if (piece.kind === "optional") out.push({ ...piece, pieces: merged(piece.pieces) });
    else if (piece.kind === "fixed" && last?.kind === "fixed")
      out[out.length - 1] = { kind: "fixed", text: last.text + piece.text };
    else out.push(piece);
  }
  return out;
}
