// Structured output laid out on the canvas: the layout of each schema construct, the integer rules,
// and answers decoded by random tiny models (which know nothing of JSON) that always parse and match
// their schema — fixed schemas of real shapes, and random schemas from a generator.
import { Ajv } from "ajv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BranchCanvas } from "../src/engine/structured/branch-canvas";
import { JsonRecogniser } from "../src/engine/structured/json-grammar";
import { jsonObjectCanvas } from "../src/engine/structured/json-grammar-canvas";
import {
  fewestInfillTokens,
  JsonGapError,
  jsonGap,
  jsonInfillCanvas,
  jsonInfillCheck,
} from "../src/engine/structured/json-infill";
import { completeNumber, feasibleNumber, type NumberRange } from "../src/engine/structured/number-rules";
import { layOutSchema } from "../src/engine/structured/schema-layout";
import { tokenTexts } from "../src/engine/structured/token-texts";
import { toolCallCanvas, toolOrTextCanvas } from "../src/engine/structured/tool-call-canvas";
import { generate, jsonCanvas, type LoadedCheckpoint, loadCheckpoint, UnsupportedSchemaError } from "../src/index";
import { writeCheckpoint } from "./support/write-checkpoint";

const llada = await loadCheckpoint(writeCheckpoint({ seed: 31 }).dir, { threads: 2 });
const dream = await loadCheckpoint(writeCheckpoint({ family: "dream", seed: 32, kvHeads: 2 }).dir, { threads: 2 });

/** Decodes one answer of `schema`; returns its text and the run's counts. */
async function answer(
  checkpoint: LoadedCheckpoint,
  schema: unknown,
  options: { seed?: number; temperature?: number } = {},
) {
  const constraint = jsonCanvas(schema, checkpoint);
  const run = generate(checkpoint, [72, 105, 58, 32], {
    maxTokens: constraint.length,
    constraint,
    blockLength: 16,
    threshold: 0.5,
    temperature: options.temperature ?? 0,
    seed: options.seed ?? 0,
  });
  let next = await run.next();
  let steps = 0;
  while (!next.done) {
    steps++;
    next = await run.next();
  }
  return { text: checkpoint.tokenizer.decode(next.value.tokens), steps, length: constraint.length, result: next.value };
}

function validate(schema: object, text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `not JSON: ${text}`;
  }
  const ajv = new Ajv({ strict: false });
  const check = ajv.compile(schema);
  return check(value) ? undefined : `${ajv.errorsText(check.errors)} in ${text}`;
}

const SCHEMAS: Record<string, object> = {
  person: {
    type: "object",
    properties: {
      name: { type: "string" },
      age: { type: "integer", minimum: 0, maximum: 130 },
      admin: { type: "boolean" },
    },
    required: ["name", "age", "admin"],
    additionalProperties: false,
  },
  enums: {
    type: "object",
    properties: { color: { enum: ["red", "green", "blue"] }, size: { enum: [1, 2, "xl", null] } },
  },
  nested: {
    type: "object",
    properties: {
      point: {
        type: "object",
        properties: { x: { type: "integer" }, y: { type: "integer", minimum: -5, maximum: 5 } },
      },
    },
  },
  arrays: {
    type: "object",
    properties: {
      tags: { type: "array", items: { type: "string", maxLength: 6 }, maxItems: 3 },
      scores: { type: "array", items: { type: "integer", minimum: 10, maximum: 99 }, minItems: 1, maxItems: 4 },
    },
  },
  refs: {
    $defs: {
      item: { type: "object", properties: { id: { type: "integer", exclusiveMinimum: 0 }, ok: { const: true } } },
    },
    type: "array",
    items: { $ref: "#/$defs/item" },
    minItems: 2,
    maxItems: 2,
  },
  anyOf: { anyOf: [{ const: "none" }, { type: "boolean" }, { type: "null" }] },
  strings: {
    type: "object",
    properties: { code: { type: "string", minLength: 3, maxLength: 5 }, note: { type: "string" } },
  },
  numbers: {
    type: "object",
    properties: { n: { type: "number", minimum: 1.5, maximum: 7.5 }, big: { type: "integer", minimum: -1000000 } },
  },
};

describe("answers decoded on a laid-out canvas match their schema", () => {
  for (const [family, checkpoint] of [
    ["LLaDA", llada],
    ["Dream", dream],
  ] as const) {
    it.each(Object.keys(SCHEMAS))(`${family}: %s, greedy and sampled`, async (name) => {
      const schema = SCHEMAS[name] as object;
      for (const options of [{}, { temperature: 1, seed: 3 }, { temperature: 1.5, seed: 9 }]) {
        const { text, result } = await answer(checkpoint, schema, options);
        expect(validate(schema, text)).toBeUndefined();
        expect(result.finishReason).toBe("stop");
      }
    });
  }

  it("random schemas from a generator: every answer parses and validates", async () => {
    const leaf = fc.oneof(
      fc.constant({ type: "string" }),
      fc.record({ type: fc.constant("string"), maxLength: fc.integer({ min: 1, max: 8 }) }),
      fc.constant({ type: "boolean" }),
      fc.constant({ type: "null" }),
      fc.record({
        type: fc.constant("integer"),
        minimum: fc.integer({ min: -50, max: 0 }),
        maximum: fc.integer({ min: 0, max: 5000 }),
      }),
      fc.record({
        type: fc.constant("number"),
        minimum: fc.double({ min: -5, max: 0, noNaN: true }),
        exclusiveMaximum: fc.double({ min: 0.001, max: 100, noNaN: true }),
      }),
      fc.record({
        enum: fc.uniqueArray(fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: -9, max: 99 })), {
          minLength: 1,
          maxLength: 4,
        }),
      }),
    );
    const { tree } = fc.letrec<{ tree: object }>((tie) => ({
      tree: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.record({
          type: fc.constant("object"),
          properties: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), tie("tree"), { minKeys: 1, maxKeys: 3 }),
        }),
        fc.record({ type: fc.constant("array"), items: tie("tree"), maxItems: fc.integer({ min: 0, max: 3 }) }),
      ),
    }));
    await fc.assert(
      fc.asyncProperty(tree, fc.integer({ min: 0, max: 1000 }), async (schema, seed) => {
        const { text } = await answer(llada, schema, { temperature: 1, seed });
        expect(validate(schema, text)).toBeUndefined();
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  it("fixed tokens cost no forward passes: a schema of constants needs none", async () => {
    const { text, result } = await answer(llada, {
      type: "object",
      properties: { a: { const: 1 }, b: { const: "x" } },
    });
    expect(JSON.parse(text)).toEqual({ a: 1, b: "x" });
    expect(result.forwardPasses).toBe(0);
  });
});

describe("the layout", () => {
  it("lays an object out as fixed keys and punctuation around value slots", () => {
    const pieces = layOutSchema({ type: "object", properties: { a: { type: "string" }, b: { type: "boolean" } } });
    expect(pieces.map((p) => (p.kind === "fixed" ? p.text : p.kind))).toEqual([
      '{"a": "',
      "string",
      '", "b": ',
      "choice",
      "}",
    ]);
  });

  it("makes array elements past minItems optional, each held by the one before", () => {
    const [, first, second] = layOutSchema({ type: "array", items: { type: "integer" }, minItems: 1, maxItems: 3 });
    expect(first?.kind).toBe("number");
    expect(second).toMatchObject({ kind: "optional", gate: "," });
    const nested = second?.kind === "optional" ? second.pieces.at(-1) : undefined;
    expect(nested).toMatchObject({ kind: "optional", gate: "," });
  });

  it.each([
    ["pattern", { type: "string", pattern: "^a+$" }],
    ["format", { type: "string", format: "email" }],
    ["multipleOf", { type: "integer", multipleOf: 3 }],
    ["uniqueItems", { type: "array", items: { type: "integer" }, uniqueItems: true }],
    ["type", { type: ["string", "null"] }],
    ["anyOf", { anyOf: [{ type: "string" }, { type: "integer" }] }],
    ["properties", { type: "object" }],
    ["$ref", { $ref: "#/$defs/missing" }],
  ])("refuses %s, naming it", (keyword, schema) => {
    expect(() => layOutSchema(schema)).toThrow(UnsupportedSchemaError);
    try {
      layOutSchema(schema);
    } catch (error) {
      expect((error as UnsupportedSchemaError).keyword).toBe(keyword);
    }
  });

  it("refuses a schema that refers to itself without end", () => {
    const schema = {
      $defs: { node: { type: "array", items: { $ref: "#/$defs/node" }, maxItems: 1 } },
      $ref: "#/$defs/node",
    };
    expect(() => layOutSchema(schema)).toThrow(/deeper/);
  });
});

describe("token masks", () => {
  const texts = tokenTexts(llada.tokenizer, llada.architecture.shape.vocab, [
    llada.architecture.maskId,
    ...llada.architecture.stopIds,
  ]);

  it("a string slot's tokens never hold a quote, a backslash or a control character, and cover the rest", () => {
    const safe = texts.text.filter((_, id) => texts.stringSafe[id]);
    expect(safe.length).toBeGreaterThan(90); // the printable ASCII bytes, at least
    const forbidden = (code: number) => code < 0x20 || code === 0x7f || code === 0x22 || code === 0x5c;
    for (const text of safe)
      expect(
        [...text].some((char) => forbidden(char.charCodeAt(0))),
        text,
      ).toBe(false);
    for (const byte of ['"', "\\", "\n", "\t"]) {
      const id = texts.text.indexOf(byte);
      expect(id).toBeGreaterThanOrEqual(0);
      expect(texts.stringSafe[id]).toBe(0);
    }
  });

  it("special tokens (mask, end of text) write no text and are never proposed inside a value", () => {
    for (const id of [llada.architecture.maskId, ...llada.architecture.stopIds]) {
      expect(texts.text[id]).toBe("");
      expect(texts.stringSafe[id]).toBe(0);
      expect(texts.numeric).not.toContain(id);
    }
  });

  it("a number slot draws only from digits, minus and point", () => {
    const numeric = texts.numeric.map((id) => texts.text[id]);
    expect(numeric.sort()).toEqual(["-", ".", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  });
});

describe("number rules", () => {
  const integers = (min: number, max: number): NumberRange => ({
    min,
    max,
    minExclusive: false,
    maxExclusive: false,
    decimals: 0,
  });
  const feasible = (text: string, remaining: number, min: number, max: number) =>
    feasibleNumber(text, remaining, integers(min, max));

  it("allow exactly the integer prefixes that can still end in range", () => {
    expect(feasible("1", 1, 10, 99)).toBe(true); // 1x
    expect(feasible("1", 0, 10, 99)).toBe(false); // no room for a second digit
    expect(feasible("0", 2, 0, 99)).toBe(true); // 0 itself
    expect(feasible("0", 2, 1, 99)).toBe(false); // and nothing may follow a zero
    expect(feasible("05", 2, 0, 99)).toBe(false); // a leading zero
    expect(feasible("-", 2, -5, 5)).toBe(true);
    expect(feasible("-", 2, 0, 5)).toBe(false); // no "-0"
    expect(feasible("-7", 1, -5, 5)).toBe(false);
    expect(feasible("12", 3, -1000, 1000)).toBe(true);
    expect(feasible("1.", 3, 0, 1000)).toBe(false); // an integer has no fraction
    expect(feasible("1x", 3, 0, 1000)).toBe(false);
  });

  it("allow decimals within the bounds, exclusive ones included", () => {
    const range: NumberRange = { min: 1.5, max: 7.5, minExclusive: true, maxExclusive: false, decimals: 6 };
    expect(completeNumber("1.5", range)).toBe(false); // exclusive
    expect(completeNumber("1.50001", range)).toBe(true);
    expect(completeNumber("7.5", range)).toBe(true);
    expect(completeNumber("7.5000001", range)).toBe(false); // seven fraction digits
    expect(feasibleNumber("1", 2, range)).toBe(true); // 1.6…
    expect(feasibleNumber("1.4", 2, range)).toBe(false); // 1.4… stays below 1.5
    expect(feasibleNumber("7.", 1, range)).toBe(true); // 7.x
    expect(feasibleNumber("8", 3, range)).toBe(false);
    expect(feasibleNumber(".5", 3, range)).toBe(false); // JSON needs the leading digit
    expect(feasibleNumber("-0.", 2, { ...range, min: -1 })).toBe(true); // -0.5
    expect(completeNumber("-0", { ...range, min: -1 })).toBe(false);
  });
});

describe("the JSON grammar (json_object)", () => {
  const recognises = (text: string, objectOnly = false) => {
    const recogniser = new JsonRecogniser(objectOnly);
    return recogniser.feed(text) && recogniser.complete;
  };

  it("recognises every JSON document, compact or spaced, and is complete only at its end", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const text of [JSON.stringify(value), JSON.stringify(value, null, 2)]) {
          expect(recognises(text)).toBe(true);
          if (text.length > 1 && !/^-?\d/.test(text)) expect(recognises(text.slice(0, -1))).toBe(false);
        }
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it("never calls complete what JSON.parse refuses", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'{}[]",:0123456789.-+eEtrufalsn \\\\'), maxLength: 16 }),
        (text) => {
          if (recognises(text)) expect(() => JSON.parse(text)).not.toThrow();
        },
      ),
      { numRuns: 3000, seed: 5 },
    );
  });

  it.each([
    ["LLaDA", llada],
    ["Dream", dream],
  ] as const)(
    "%s: answers on a json_object canvas are JSON objects, even on a canvas barely long enough",
    async (_, checkpoint) => {
      for (const [length, seed] of [
        [2, 1],
        [5, 2],
        [24, 3],
        [48, 4],
      ] as const) {
        const constraint = jsonObjectCanvas(length, checkpoint);
        const run = generate(checkpoint, [72, 105], { maxTokens: length, constraint, temperature: 1.2, seed });
        let next = await run.next();
        while (!next.done) next = await run.next();
        const text = checkpoint.tokenizer.decode(next.value.tokens);
        const value = JSON.parse(text) as unknown;
        expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true);
      }
    },
  );
});

describe("FIM inside a JSON document", () => {
  const HOLE = "\u0000HOLE"; // a marker no generated document holds; JSON.stringify writes it escaped
  const ESCAPED_HOLE = JSON.stringify(HOLE).slice(1, -1);

  /** `value` (an object or array) with its `index`-th inner value replaced by `replacement`. */
  function withHole(value: unknown, index: number, replacement: (inner: unknown) => unknown): unknown {
    let seen = -1;
    const walk = (node: unknown): unknown => {
      if (node === null || typeof node !== "object") return node;
      const entries = Object.entries(node as object).map(([key, child]): [string, unknown] => {
        seen++;
        return [key, seen === index ? replacement(child) : walk(child)];
      });
      return Array.isArray(node) ? entries.map(([, child]) => child) : Object.fromEntries(entries);
    };
    return walk(value);
  }

  it("a value's place, a member's and a string's inside are gaps it fills; any other gap is refused, naming where", () => {
    expect(jsonGap('{"port": ', ', "debug": true}\n')).toBe("value");
    expect(jsonGap("[1, ", "]")).toBe("value");
    expect(jsonGap("[", "]")).toBe("value");
    expect(jsonGap("", "")).toBe("value"); // the whole document
    expect(jsonGap('{"a": 1, ', "}")).toBe("members");
    expect(jsonGap("{", ', "b": 2}')).toBe("members");
    expect(jsonGap('{"name": "Jo', 'hn"}')).toBe("string");
    expect(jsonGap('{"na', 'me": 1}')).toBe("string"); // inside a key
    const refused: [string, string, RegExp][] = [
      ['{"a": true', "}", /after a value/],
      ['{"a": 1, ', '"b": 2}', /where a key goes but the suffix does not complete/], // would need a comma
      ['{"a"', ": 1}", /before a colon/],
      ['{"a": 8', "0}", /inside a number/],
      ['{"a": tr', "ue}", /inside true, false or null/],
      ['{"a": "x\\', 'n"}', /inside an escape sequence/],
      ['{"a": ', "", /does not complete the document/], // nothing closes the object
      ["[", "5]", /does not complete the document/], // the value would run on into "5"
      ['{"a": "x', "}", /does not complete the document/],
      ["{'a': ", "1}", /not the start of a JSON document/],
    ];
    for (const [prefix, suffix, why] of refused) expect(() => jsonGap(prefix, suffix), prefix).toThrow(why);
    expect(() => jsonGap("[", ",")).toThrow(JsonGapError);
  });

  it("every value cut out of a random JSON document leaves a value gap, every member a member gap, every string cut in two a string gap", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.jsonValue(), { minLength: 1 }),
          fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
        ),
        fc.nat(),
        fc.boolean(),
        (outer, pick, spaced) => {
          const inner = JSON.stringify(outer).length; // an upper bound on the inner values' count
          const index = pick % inner;
          const text = (value: unknown) => JSON.stringify(value, null, spaced ? 2 : undefined) ?? "";
          const asValue = text(withHole(outer, index, () => HOLE));
          if (!asValue.includes(HOLE_STRING)) return; // index past the last inner value
          const [before, after] = asValue.split(HOLE_STRING) as [string, string];
          expect(jsonGap(before, after)).toBe("value");
          if (!Array.isArray(outer)) {
            // The first member cut out: the gap where it stood takes members.
            const [key, ...rest] = Object.keys(outer as object);
            const others = Object.fromEntries(rest.map((k) => [k, (outer as Record<string, unknown>)[k]]));
            const whole = text({ [HOLE]: 0, ...others });
            const cut = whole.indexOf(HOLE_STRING);
            const end = whole.indexOf("0", cut + HOLE_STRING.length) + 1;
            if (key !== HOLE) expect(jsonGap(whole.slice(0, cut), whole.slice(end))).toBe("members");
          }
          const asString = text(withHole(outer, index, () => `ab${HOLE}cd`));
          const [head, tail] = asString.split(ESCAPED_HOLE) as [string, string];
          expect(jsonGap(head, tail)).toBe("string");
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
  const HOLE_STRING = JSON.stringify(HOLE);

  it("a number may end after any digit, members after a whole member: padding is then a choice, never forced; a closed value must end", () => {
    const canvas = jsonInfillCanvas("value", 4, llada);
    const id = (text: string) => llada.tokenizer.encode(text)[0] as number;
    const mask = llada.architecture.maskId;
    const afterDigit = canvas.rules(Int32Array.from([id("1"), mask, mask, mask]), mask).allowed.get(1);
    expect(afterDigit).toBeInstanceOf(Uint8Array);
    expect((afterDigit as Uint8Array)[canvas.pad]).toBe(1);
    expect((afterDigit as Uint8Array)[id("2")]).toBe(1);
    expect((afterDigit as Uint8Array)[id(",")]).toBe(0);
    const closed = canvas.rules(Int32Array.from([id("{"), id("}"), mask, mask]), mask);
    expect(closed.forced).toContainEqual([2, canvas.pad]);
    const string = jsonInfillCanvas("string", 4, llada);
    const plain = string.rules(Int32Array.from([id("a"), mask, mask, mask]), mask).allowed.get(1) as Uint8Array;
    expect([plain[id('"')], plain[canvas.pad], plain[id("\\")]]).toEqual([0, 1, 1]);
    expect([fewestInfillTokens("value"), fewestInfillTokens("members"), fewestInfillTokens("string")]).toEqual([
      1, 4, 1,
    ]);
    expect(() => jsonInfillCanvas("members", 3, llada)).toThrow(RangeError);
    const members = jsonInfillCanvas("members", 16, llada);
    const written = ['"', "a", '"', ":", "1"].map(id);
    const afterMember = members
      .rules(
        Int32Array.from({ length: 16 }, (_, i) => written[i] ?? mask),
        mask,
      )
      .allowed.get(5) as Uint8Array;
    expect([afterMember[canvas.pad], afterMember[id(",")], afterMember[id("}")]]).toEqual([1, 1, 0]);
    const afterComma = jsonInfillCanvas("members", 16, llada).rules(
      Int32Array.from({ length: 16 }, (_, i) => [...written, id(",")][i] ?? mask),
      mask,
    );
    expect((afterComma.allowed.get(6) as Uint8Array)[canvas.pad]).toBe(0);
    const escaped = jsonInfillCanvas("string", 4, llada)
      .rules(Int32Array.from([id("\\"), mask, mask, mask]), mask)
      .allowed.get(1) as Uint8Array;
    expect([escaped[id('"')], escaped[canvas.pad], escaped[id("a")]]).toEqual([1, 0, 0]);
  });

  it.each([
    ["LLaDA", llada],
    ["Dream", dream],
  ] as const)(
    "%s: the document with the infill always parses, even on a canvas barely long enough",
    async (_, checkpoint) => {
      const gaps: [string, string][] = [
        ['{"name": "cat", "age": ', ', "tags": ["a"]}'],
        ["[1, ", ", 3]\n"],
        ['{"name": "Ca', 't"}'],
        ['{"a": 1, ', "}"],
        ["", ""],
      ];
      let seed = 0;
      for (const [prefix, suffix] of gaps) {
        const gap = jsonGap(prefix, suffix);
        // As short as the gap allows (one position for a value or a string's characters, four for `"":0`).
        for (const length of new Set(
          [fewestInfillTokens(gap), 3, 12, 32].filter((n) => n >= fewestInfillTokens(gap)),
        )) {
          const constraint = jsonInfillCanvas(gap, length, checkpoint);
          const run = generate(checkpoint, checkpoint.tokenizer.encode(prefix), {
            maxTokens: length,
            suffix: checkpoint.tokenizer.encode(suffix),
            constraint,
            temperature: 1.2,
            seed: ++seed,
          });
          let next = await run.next();
          while (!next.done) next = await run.next();
          const infill = checkpoint.tokenizer.decode(next.value.tokens);
          expect(jsonInfillCheck(prefix, suffix)(infill), JSON.stringify(infill)).toBeUndefined();
        }
      }
    },
  );
});

describe("tool calls on the canvas", () => {
  const functions = [
    { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string", maxLength: 12 } } } },
    { name: "add", parameters: { type: "object", properties: { a: { type: "integer" }, b: { type: "integer" } } } },
    { name: "ping", parameters: { type: "object", properties: {}, additionalProperties: false } },
  ];
  const argumentsOf = (name: string) => functions.find((f) => f.name === name)?.parameters as object;

  async function decodeOn(checkpoint: LoadedCheckpoint, constraint: ReturnType<typeof toolCallCanvas>, seed: number) {
    const run = generate(checkpoint, [72, 105], {
      maxTokens: constraint.length,
      constraint,
      temperature: 1.3,
      seed,
      threshold: 0.5,
    });
    let next = await run.next();
    while (!next.done) next = await run.next();
    return checkpoint.tokenizer.decode(next.value.tokens);
  }

  function expectCall(text: string) {
    const match = /^<tool_call>(.*)<\/tool_call>$/s.exec(text);
    expect(match, text).not.toBeNull();
    const call = JSON.parse(match?.[1] ?? "") as { name: string; arguments: unknown };
    expect(functions.map((f) => f.name)).toContain(call.name);
    expect(validate(argumentsOf(call.name), JSON.stringify(call.arguments))).toBeUndefined();
    return call.name;
  }

  it.each([
    ["LLaDA", llada],
    ["Dream", dream],
  ] as const)("%s: a call of one of several functions names one and matches its parameters", async (_, checkpoint) => {
    const names = new Set<string>();
    for (let seed = 0; seed < 12; seed++)
      names.add(expectCall(await decodeOn(checkpoint, toolCallCanvas(functions, checkpoint), seed)));
    // The name is the model's choice: with these seeds the Dream model picks more than one.
    if (checkpoint === dream) expect(names.size).toBeGreaterThan(1);
  });

  it("auto: the first token chooses between a valid call and text without a call in it", async () => {
    for (let seed = 0; seed < 12; seed++) {
      const text = await decodeOn(llada, toolOrTextCanvas(functions, llada, 24), seed);
      if (text.startsWith("<tool_call>")) expectCall(text);
      else expect(text).not.toContain("<tool_call>");
    }
  });

  it("auto: once the first token opens a call, the call is laid out behind it", async () => {
    const canvas = toolOrTextCanvas(functions, llada, 24) as BranchCanvas;
    // Stand in for a model that chose to call: its first position may only open the call.
    const first = canvas.head as unknown as { allowed: Uint8Array };
    const opening = llada.tokenizer.encode("<tool_call>")[0] as number;
    first.allowed.fill(0);
    first.allowed[opening] = 1;
    for (let seed = 0; seed < 6; seed++) expectCall(await decodeOn(llada, canvas, seed));
  });
});
