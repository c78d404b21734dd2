// The published models of each family are recognised by name (a folder, a GGUF file, a Hub id or its
// cache folder) or by a token only their tokenizer has, and served with the decoding their authors
// publish: DiffuCoder at temperature 0.4 with top_p 0.95, answers ending at <|dlm_pad|>, and every
// Dream-family model committing in entropy order at the highest effort; LLaDA greedy.
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { byteLevelTokenizerJson } from "../src/checkpoint/byte-level-bpe";
import { loadCheckpoint } from "../src/index";
import { MODEL_VARIANTS, modelVariant } from "../src/model-spec";
import { decodingBudget } from "../src/server/decoding-budget";
import { createServer } from "../src/server/server";
import { BYTE_TO_CHAR } from "../src/train/byte-level";
import { SPECIAL_TOKENS } from "./support/byte-tokenizer";
import { writeCheckpoint } from "./support/write-checkpoint";

const none = () => false;

describe("recognising a published model", () => {
  it.each([
    ["llada", "GSAI-ML/LLaDA-8B-Instruct", "LLaDA"],
    ["llada", "/home/me/.cache/huggingface/hub/models--GSAI-ML--LLaDA-1.5/snapshots/abc", "LLaDA-1.5"],
    ["llada-moe", "inclusionAI/LLaDA-MoE-7B-A1B-Instruct", "LLaDA-MoE"],
    ["dream", "Dream-org/Dream-v0-Instruct-7B", "Dream"],
    ["dream", "Dream-org/Dream-Coder-v0-Instruct-7B", "Dream-Coder"],
    ["dream", "/models/dream-coder-7b-Q4_K_M.gguf", "Dream-Coder"],
    ["dream", "apple/DiffuCoder-7B-cpGRPO", "DiffuCoder"],
    ["dream", "/cache/models--apple--DiffuCoder-7B-Instruct/snapshots/0123", "DiffuCoder"],
    ["dream", "apple/DiffuCoder-7B-Base", "DiffuCoder-Base"],
  ] as const)("a %s model at %s is %s", (family, where, name) => {
    expect(modelVariant(family, where, none).name).toBe(name);
  });

  it("by the token only DiffuCoder's tokenizer has, whatever the folder is called", () => {
    expect(modelVariant("dream", "/models/my-finetune", (token) => token === "<|dlm_pad|>").name).toBe("DiffuCoder");
    expect(modelVariant("llada", "/models/my-finetune", (token) => token === "<|dlm_pad|>").name).toBe("LLaDA");
  });

  it("every family has a catch-all, and every variant says where its decoding comes from", () => {
    for (const family of ["llada", "dream", "llada-moe"] as const)
      expect(modelVariant(family, "x", none)).toBeDefined();
    for (const variant of MODEL_VARIANTS) expect(variant.source.length).toBeGreaterThan(10);
  });

  it("the highest effort commits one token per step in the published order", () => {
    expect(decodingBudget("high", false, 64, "entropy")).toMatchObject({ sampler: "entropy", steps: 64 });
    expect(decodingBudget("high", false, 64)).toMatchObject({ sampler: "low_confidence", steps: 64 });
    expect(decodingBudget("medium", false, 64, "entropy")).toMatchObject({ sampler: "threshold" });
  });
});

/** A tiny Dream-architecture checkpoint in a folder named like DiffuCoder, its tokenizer with <|dlm_pad|>. */
function tinyDiffuCoder(): string {
  const dir = join(tmpdir(), `anneal-variants-${process.pid}`, "DiffuCoder-7B-cpGRPO-tiny");
  mkdirSync(dir, { recursive: true });
  const special = [...SPECIAL_TOKENS, "<|dlm_pad|>"];
  writeCheckpoint({ family: "dream", kvHeads: 2, vocab: 256 + special.length, seed: 81 }, dir);
  const vocab = Object.fromEntries(BYTE_TO_CHAR.map((char, id) => [char, id]));
  const tokenizer = byteLevelTokenizerJson(
    vocab,
    [],
    special.map((content, i) => ({ id: 256 + i, content })),
  );
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizer));
  return dir;
}

describe("serving a published model with its authors' decoding", () => {
  const dir = tinyDiffuCoder();
  const server = createServer({ models: [{ id: "diffucoder", dir }], threads: 2 });
  afterAll(() => server.close());

  it("loads as DiffuCoder, whose answers also end at <|dlm_pad|>", async () => {
    const checkpoint = await loadCheckpoint(dir);
    expect(checkpoint.variant.name).toBe("DiffuCoder");
    expect(checkpoint.architecture.stopIds).toContain(256 + SPECIAL_TOKENS.length);
  });

  it("names the variant in /v1/models, and samples at its temperature unless the request says", async () => {
    await server.ready;
    const models = await server.app.inject({ method: "GET", url: "/v1/models" });
    expect(models.json().data[0].description).toMatch(/^DiffuCoder diffusion model \(dream architecture\)/);
    const ask = async (extra: Record<string, unknown>) => {
      const response = await server.app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        payload: { model: "diffucoder", messages: [{ role: "user", content: "hi" }], max_tokens: 24, ...extra },
      });
      expect(response.statusCode).toBe(200);
      return response.json().choices[0].message.content as string;
    };
    // Temperature 0.4 by default: different seeds draw different answers; at temperature 0 they agree.
    const drawn = new Set([await ask({ seed: 1 }), await ask({ seed: 2 }), await ask({ seed: 3 })]);
    expect(drawn.size).toBeGreaterThan(1);
    expect(await ask({ seed: 1, temperature: 0 })).toBe(await ask({ seed: 2, temperature: 0 }));
  });
});

describe("generation_config.json", () => {
  const withGenerationConfig = (keys: Record<string, unknown>) => {
    const checkpoint = writeCheckpoint({ family: "dream", seed: 41, kvHeads: 2 });
    writeFileSync(join(checkpoint.dir, "generation_config.json"), JSON.stringify({ eos_token_id: 256, ...keys }));
    return checkpoint.dir;
  };

  it("its decoding keys win over the variant's published ones", async () => {
    const dir = withGenerationConfig({ temperature: 0.3, top_p: 0.9, top_k: 20, alg: "maskgit_plus", alg_temp: 0.1 });
    const { variant } = await loadCheckpoint(dir);
    expect(variant.decoding).toMatchObject({
      temperature: 0.3,
      topP: 0.9,
      topK: 20,
      sampler: "maskgit_plus",
      positionTemperature: 0.1,
    });
  });

  it("do_sample: false is greedy whatever the temperature; LLaDA's remasking names the order", async () => {
    const dir = withGenerationConfig({ temperature: 0.7, do_sample: false, remasking: "random" });
    const { variant } = await loadCheckpoint(dir);
    expect(variant.decoding).toMatchObject({ temperature: 0, sampler: "random" });
  });

  it("without decoding keys the variant's own stand", async () => {
    const { variant } = await loadCheckpoint(withGenerationConfig({}));
    expect(variant.decoding).toEqual(modelVariant("dream", "somewhere", none).decoding);
  });

  it.each([
    [{ temperature: "hot" }, /temperature "hot"/],
    [{ top_p: 1.5 }, /top_p 1.5/],
    [{ alg: "fastest" }, /alg "fastest": expected one of/],
  ])("a bad value is an error naming the file and the key: %j", async (keys, message) => {
    const dir = withGenerationConfig(keys);
    await expect(loadCheckpoint(dir)).rejects.toThrow(message);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/generation_config\.json/);
  });
});
