// The built @anneal/sdk and @anneal/ai-sdk packages: load from ESM and CJS, bundle for browsers
// without Node built-ins.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: "utf8" }).trim();

describe("the built package", () => {
  it("imports from ESM", () => {
    const out = node([
      "--input-type=module",
      "-e",
      'import { Mercury, RateLimitError } from "@anneal/sdk"; import { ChatCompletionCreateParamsSchema } from "@anneal/sdk/schema"; const c = new Mercury({ baseURL: "http://x.test" }); console.log(typeof c.chat.completions.create, c.baseURL, new RateLimitError({ status: 429 }).status, typeof ChatCompletionCreateParamsSchema.parse);',
    ]);
    expect(out).toBe("function http://x.test/v1 429 function");
  });

  it("requires from CJS", () => {
    const out = node([
      "-e",
      'const { Mercury, APIError } = require("@anneal/sdk"); const { ModelListSchema } = require("@anneal/sdk/schema"); const c = new Mercury({ baseURL: "http://x.test/v1" }); console.log(typeof c.models.list, c instanceof Mercury, typeof APIError, ModelListSchema.safeParse({ data: [] }).success);',
    ]);
    expect(out).toBe("function true function true");
  });

  it("bundles for the browser with no Node built-ins", async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL("../packages/sdk/dist/index.js", import.meta.url))],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      logLevel: "silent",
      metafile: true,
    });
    const nodeImports = Object.values(result.metafile.inputs)
      .flatMap((input) => input.imports)
      .filter((entry) => entry.path.startsWith("node:") || entry.external);
    expect(result.errors).toEqual([]);
    expect(nodeImports).toEqual([]);
  });
});

describe("the built AI SDK provider", () => {
  it("imports from ESM and requires from CJS, a v3 language model either way", () => {
    const esm = node([
      "--input-type=module",
      "-e",
      'import { createMercury, draftsOf } from "@anneal/ai-sdk"; const m = createMercury({ baseURL: "http://x.test/v1" }); console.log(m("mercury-2").specificationVersion, m.fim("e").provider, typeof draftsOf);',
    ]);
    expect(esm).toBe("v3 mercury.fim function");
    const cjs = node([
      "-e",
      'const { mercury } = require("@anneal/ai-sdk"); console.log(mercury.chat("mercury-2").modelId, mercury.edit("e").provider);',
    ]);
    expect(cjs).toBe("mercury-2 mercury.edit");
  });
});
