// Malformed checkpoints: each problem is a CheckpointError that names the file, never a crash.
import { copyFileSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readArchitecture } from "../src/checkpoint/architecture";
import { readJSON } from "../src/checkpoint/load";
import { checkFitsInMemory } from "../src/checkpoint/memory-fit";
import { CheckpointError, loadCheckpoint } from "../src/index";
import { weightShape } from "../src/model-spec";
import { safetensorsBytes, writeCheckpoint } from "./support/write-checkpoint";

/** Loads `dir` and returns the error, failing the test if it loads. */
async function loadError(dir: string): Promise<CheckpointError> {
  try {
    await loadCheckpoint(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return error as CheckpointError;
  }
  throw new Error("expected the checkpoint to be rejected");
}

function editJson(file: string, edit: (json: Record<string, unknown>) => void) {
  const json = JSON.parse(readFileSync(file, "utf8"));
  edit(json);
  writeFileSync(file, JSON.stringify(json));
}

/** Rewrites model.safetensors with one header entry changed. */
function editHeader(
  dir: string,
  edit: (header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>) => void,
) {
  const file = join(dir, "model.safetensors");
  const bytes = readFileSync(file);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString());
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([prefix, json, bytes.subarray(8 + length)]));
  return file;
}

describe("config.json", () => {
  it("an unknown architecture", async () => {
    const { dir } = writeCheckpoint();
    editJson(join(dir, "config.json"), (c) => {
      c.architectures = ["GPT2LMHeadModel"];
      c.model_type = "gpt2";
    });
    const error = await loadError(dir);
    expect(error.file).toBe(join(dir, "config.json"));
    expect(error.message).toMatch(/unsupported architecture "GPT2LMHeadModel"/);
  });

  it("an unknown architecture with a known model_type is still unknown", async () => {
    const { dir } = writeCheckpoint();
    editJson(join(dir, "config.json"), (c) => {
      c.architectures = ["GPT2LMHeadModel"]; // model_type stays "llada"
    });
    expect((await loadError(dir)).message).toMatch(/unsupported architecture "GPT2LMHeadModel"/);
  });

  it("a number no model has (n_layers: 1e9) is refused before anything is sized by it", async () => {
    const { dir } = writeCheckpoint();
    editJson(join(dir, "config.json"), (c) => {
      c.n_layers = 1e9;
    });
    expect((await loadError(dir)).message).toMatch(/n_layers is 1000000000; at most 1024/);
  });

  it.each([
    ["mask_token_id", "config.json"],
    ["eos_token_id", "config.json"],
    ["pad_token_id", "config.json"],
    ["eos_token_id", "generation_config.json"],
  ])("a special id (%s in %s) outside the vocabulary", async (key, file) => {
    const { dir } = writeCheckpoint();
    editJson(join(dir, file), (c) => {
      c[key] = 1_000_000;
    });
    const error = await loadError(dir);
    expect(error.file).toBe(join(dir, file));
    expect(error.message).toMatch(new RegExp(`${key} 1000000 is outside the vocabulary`));
  });

  it("a missing or broken config", async () => {
    const { dir } = writeCheckpoint();
    writeFileSync(join(dir, "config.json"), "{ not json");
    expect((await loadError(dir)).message).toMatch(/config.json: not valid JSON/);
    rmSync(join(dir, "config.json"));
    expect((await loadError(dir)).message).toMatch(/config.json: file not found/);
  });

  it("a size that is not a positive integer", async () => {
    const { dir } = writeCheckpoint();
    editJson(join(dir, "config.json"), (c) => {
      c.n_layers = -2;
    });
    expect((await loadError(dir)).message).toMatch(/n_layers must be a positive integer/);
  });
});

describe("weights", () => {
  it("a missing tensor", async () => {
    const { dir } = writeCheckpoint();
    editHeader(dir, (h) => {
      delete h["model.transformer.blocks.1.up_proj.weight"];
    });
    expect((await loadError(dir)).message).toMatch(/missing tensor model.transformer.blocks.1.up_proj.weight/);
  });

  it("a wrong shape", async () => {
    const { dir } = writeCheckpoint();
    const file = editHeader(dir, (h) => {
      const entry = h["model.transformer.blocks.0.q_proj.weight"] as { shape: number[] };
      entry.shape = [24, 96]; // same byte count, wrong shape
    });
    const error = await loadError(dir);
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/q_proj.weight has shape \[24,96\], expected \[48,48\]/);
  });

  it("a dtype the engine cannot load", async () => {
    const { dir } = writeCheckpoint();
    editHeader(dir, (h) => {
      const entry = h["model.transformer.ln_f.weight"] as { dtype: string; shape: number[] };
      entry.dtype = "I32";
    });
    expect((await loadError(dir)).message).toMatch(/ln_f.weight has dtype I32; F32, F16 and BF16 load/);
  });

  it("a truncated file", async () => {
    const { dir } = writeCheckpoint();
    const file = join(dir, "model.safetensors");
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    const error = await loadError(dir);
    expect(error.file).toBe(file);
    expect(error.message).toMatch(/truncated/);
  });

  it("a header that lies about a tensor's size", async () => {
    const { dir } = writeCheckpoint();
    editHeader(dir, (h) => {
      const entry = h["model.transformer.wte.weight"] as { data_offsets: number[] };
      entry.data_offsets = [entry.data_offsets[0] as number, (entry.data_offsets[1] as number) - 4];
    });
    expect((await loadError(dir)).message).toMatch(/wte.weight: the header says \d+ bytes but F32\[260,48\] needs \d+/);
  });

  it("a header length larger than the file", async () => {
    const { dir } = writeCheckpoint();
    const file = join(dir, "model.safetensors");
    const bytes = readFileSync(file);
    bytes.writeBigUInt64LE(BigInt(bytes.length * 10), 0);
    writeFileSync(file, bytes);
    expect((await loadError(dir)).message).toMatch(/header length \d+ does not fit/);
  });

  it("a header that is not JSON, and a file too short to have one", async () => {
    const { dir } = writeCheckpoint();
    const file = join(dir, "model.safetensors");
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(5n);
    writeFileSync(file, Buffer.concat([prefix, Buffer.from("{oops")]));
    expect((await loadError(dir)).message).toMatch(/header is not valid JSON/);
    writeFileSync(file, Buffer.from([1, 2, 3]));
    expect((await loadError(dir)).message).toMatch(/too short to be safetensors/);
  });

  it("no weights at all, and an index pointing at the wrong shard", async () => {
    const sharded = writeCheckpoint({ shards: 2 });
    editJson(join(sharded.dir, "model.safetensors.index.json"), (index) => {
      const map = index.weight_map as Record<string, string>;
      const [first] = Object.keys(map);
      map[first as string] = "model-00002-of-00002.safetensors";
    });
    expect((await loadError(sharded.dir)).message).toMatch(
      /is not in model-00002-of-00002.safetensors, where the index says/,
    );

    const { dir } = writeCheckpoint();
    rmSync(join(dir, "model.safetensors"));
    expect((await loadError(dir)).message).toMatch(/no model.safetensors or model.safetensors.index.json/);
  });

  it.each(["../elsewhere/model.safetensors", "/etc/passwd", "shards/../../model.safetensors"])(
    "a shard path that leaves the folder (%s) is refused before it is opened",
    async (outside) => {
      const sharded = writeCheckpoint({ shards: 2 });
      // A real shard outside the folder, so that only the path rule can refuse it.
      const copy = join(sharded.dir, "..", "elsewhere");
      mkdirSync(copy, { recursive: true });
      copyFileSync(join(sharded.dir, "model-00001-of-00002.safetensors"), join(copy, "model.safetensors"));
      editJson(join(sharded.dir, "model.safetensors.index.json"), (index) => {
        const map = index.weight_map as Record<string, string>;
        for (const [name, shard] of Object.entries(map)) if (shard.startsWith("model-00001")) map[name] = outside;
      });
      const error = await loadError(sharded.dir);
      expect(error.file).toBe(join(sharded.dir, "model.safetensors.index.json"));
      expect(error.message).toMatch(/leaves the checkpoint folder/);
    },
  );

  it("an empty safetensors file with a valid header still fails cleanly", async () => {
    const { dir } = writeCheckpoint();
    writeFileSync(join(dir, "model.safetensors"), safetensorsBytes([]));
    expect((await loadError(dir)).message).toMatch(/missing tensor/);
  });
});

describe("tokenizer files", () => {
  it("a broken tokenizer.json", async () => {
    const { dir } = writeCheckpoint();
    writeFileSync(join(dir, "tokenizer.json"), "[]]");
    const error = await loadError(dir);
    expect(error.file).toBe(join(dir, "tokenizer.json"));
  });

  it("a chat template that does not parse", async () => {
    const { dir } = writeCheckpoint();
    editJson(join(dir, "tokenizer_config.json"), (c) => {
      c.chat_template = "{% for m in messages %}{{ m.content }";
    });
    expect((await loadError(dir)).message).toMatch(/tokenizer_config.json: chat_template does not parse/);
  });
});

describe("a checkpoint too large for this machine", () => {
  it("is refused before it is mapped, with the size it needs and the memory there is", async () => {
    // A real header over a sparse file (no disk used) for a model twice this machine's memory.
    const { dir } = writeCheckpoint();
    const configFile = join(dir, "config.json");
    const layerBytes = 4 * (4 * 8192 * 8192 + 3 * 8192 * 32768);
    const layers = Math.max(1, Math.ceil((2 * totalmem()) / layerBytes));
    editJson(configFile, (c) => {
      Object.assign(c, { d_model: 8192, n_heads: 64, n_kv_heads: 64, mlp_hidden_size: 32768, n_layers: layers });
      Object.assign(c, { vocab_size: 128000, embedding_size: 128000 });
    });
    const architecture = readArchitecture(readJSON(configFile), configFile);
    const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
    let offset = 0;
    for (const [key, { name }] of architecture.tensorNames) {
      const shape = weightShape(key, architecture.shape);
      const bytes = 4 * shape.reduce((a, b) => a * b, 1);
      header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
    }
    const json = Buffer.from(JSON.stringify(header));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    const file = join(dir, "model.safetensors");
    writeFileSync(file, Buffer.concat([prefix, json]));
    truncateSync(file, 8 + json.length + offset);
    try {
      const error = await loadError(dir);
      expect(error.file).toBe(dir);
      expect(error.message).toMatch(
        /the weights need \d+\.\d GiB of memory and this machine has \d+\.\d GiB available/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("16-bit weights are counted at 16 bits", () => {
    const tensor = (dtype: "F32" | "BF16") => ({ name: "w", file: 0, offset: 0, dtype, shape: [1000, 1000] });
    expect(() => checkFitsInMemory("d", { w: tensor("F32") }, undefined, 3_000_000)).toThrow(/need 0.0 GiB/);
    expect(() => checkFitsInMemory("d", { w: tensor("BF16") }, undefined, 3_000_000)).not.toThrow();
  });
});
