// Malformed GGUF files: every problem — truncation, lying counts, sizes and offsets, unknown types
// and architectures, metadata of the wrong type — is a CheckpointError naming the file; and a fuzz
// test over corrupted headers finds nothing else (no crash, no other error): a file that loads runs.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { GgufFile } from "../src/checkpoint/gguf";
import { ggufArchitecture } from "../src/checkpoint/gguf-architecture";
import { exportGguf } from "../src/checkpoint/gguf-export";
import { CheckpointError, loadCheckpoint } from "../src/index";
import { writeCheckpoint } from "./support/write-checkpoint";

const scratch = mkdtempSync(join(tmpdir(), "anneal-gguf-errors-"));
const original = join(scratch, "model.gguf");
exportGguf(writeCheckpoint({ seed: 31, dim: 64, ffn: 96 }).dir, original, "q8_0");
const bytes = readFileSync(original);

let written = 0;
/**
 * A copy of the good file, changed in place by `edit` (or replaced by the Buffer it returns), loaded;
 * resolves to the error, or undefined if it loads.
 */
async function loadEdited(edit: (copy: Buffer) => unknown): Promise<Error | undefined> {
  const copy = Buffer.from(bytes);
  const file = join(scratch, `edited-${written++}.gguf`);
  const result = edit(copy);
  writeFileSync(file, Buffer.isBuffer(result) ? result : copy);
  let loaded: Awaited<ReturnType<typeof loadCheckpoint>>;
  try {
    loaded = await loadCheckpoint(file, { threads: 1, warn: () => {} });
  } catch (error) {
    if (!(error instanceof CheckpointError) || !error.message.startsWith(file)) throw error;
    return error;
  }
  // What loads must also run: a forward pass over every weight, whatever the edit changed.
  const tokens = Int32Array.from(loaded.tokenizer.encode("let x = 1;").slice(0, 8));
  const [out] = await loaded.model.forward([{ tokens, statRows: Int32Array.from(tokens.keys()) }]);
  expect(out?.argmax.length).toBe(tokens.length);
  return undefined;
}

/** Where a string stored as GGUF writes it (u64 length, then the bytes) ends. */
function afterString(text: string, from = 0): number {
  const encoded = Buffer.from(text);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(encoded.length));
  const at = bytes.indexOf(Buffer.concat([length, encoded]), from);
  if (at < 0) throw new Error(`${text} is not in the file`);
  return at + 8 + encoded.length;
}
/** The tensor-index entry of `name`: where its type and offset fields are. */
function tensorEntry(name: string) {
  const at = afterString(name, afterString("tokenizer.ggml.merges")); // names after the metadata
  const dims = bytes.readUInt32LE(at);
  const type = at + 4 + 8 * dims;
  return { dims: at + 4, type, offset: type + 4 };
}

describe("a GGUF file that lies or is cut short", () => {
  it.each<[string, (b: Buffer) => unknown, RegExp]>([
    ["cut inside the header", (b) => b.subarray(0, 200), /truncated: a value at byte \d+ runs past the end/],
    ["cut inside the tensor data", (b) => b.subarray(0, b.length - 100), /runs past the end of the \d+-byte file/],
    ["not GGUF", (b) => b.write("GGML", 0), /not a GGUF file/],
    ["a future version", (b) => b.writeUInt32LE(9, 4), /GGUF version 9 is not supported/],
    ["a lying tensor count", (b) => b.writeBigUInt64LE(1n << 40n, 8), /the tensor count is 1099511627776/],
    ["a lying metadata count", (b) => b.writeBigUInt64LE(1n << 50n, 16), /the metadata count is/],
    ["a lying string length", (b) => b.writeBigUInt64LE(1n << 33n, 24), /a string length is 8589934592/],
    [
      "an array longer than the file",
      (b) => b.writeBigUInt64LE(1n << 24n, afterString("tokenizer.ggml.tokens") + 8), // after value and item types
      /metadata tokenizer.ggml.tokens claims 16777216 items; the file is shorter/,
    ],
    [
      "a tensor type llama.cpp has and we do not",
      (b) => b.writeUInt32LE(16, tensorEntry("token_embd.weight").type),
      /tensor token_embd.weight is IQ2_XXS; F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K and Q6_K load/,
    ],
    [
      "a tensor type nobody has",
      (b) => b.writeUInt32LE(250, tensorEntry("blk.0.attn_q.weight").type),
      /tensor blk.0.attn_q.weight is type 250/,
    ],
    [
      "a tensor offset past the end",
      (b) => b.writeBigUInt64LE(1n << 32n, tensorEntry("blk.1.ffn_down.weight").offset),
      /tensor blk.1.ffn_down.weight \(\d+ bytes at \d+\) runs past the end/,
    ],
    [
      "an unaligned tensor offset",
      (b) => {
        const at = tensorEntry("output.weight").offset;
        b.writeBigUInt64LE(b.readBigUInt64LE(at) + 4n, at);
      },
      /tensor output.weight's offset \d+ is not aligned/,
    ],
    [
      "a tensor whose shape disagrees with the metadata",
      (b) => b.writeBigUInt64LE(32n, tensorEntry("blk.0.ffn_up.weight").dims),
      /tensor blk.0.ffn_up.weight has shape \[96,32\], expected \[96,64\] from the metadata/,
    ],
    [
      "rows that are not whole blocks",
      (b) => b.writeBigUInt64LE(48n, tensorEntry("blk.0.attn_k.weight").dims),
      /tensor blk.0.attn_k.weight is Q8_0 but its rows of 48 are not whole blocks of 32/,
    ],
    [
      "metadata of the wrong type",
      (b) => b.writeUInt32LE(6 /* f32 */, afterString("llada.embedding_length")),
      /metadata llada.embedding_length should be an integer, not number/,
    ],
    [
      "an architecture we do not run",
      (b) => b.write("llama", afterString("general.architecture") + 4 + 8),
      /unsupported architecture "llama"; supported: llada, dream/,
    ],
    [
      "a believable-looking but absurd layer count",
      (b) => b.writeUInt32LE(100_000, afterString("llada.block_count") + 4),
      /llada.block_count/,
    ],
  ])("%s", async (_, edit, message) => {
    const error = await loadEdited(edit);
    expect(error?.message).toMatch(message);
  });

  it("an architecture the engine does not run is named, with the ones it does", () => {
    const gguf: GgufFile = {
      file: "bailing.gguf",
      version: 3,
      metadata: new Map([["general.architecture", "llada2_moe"]]),
      tensors: new Map(),
    };
    expect(() => ggufArchitecture(gguf)).toThrow(
      /bailing.gguf: unsupported architecture "llada2_moe"; supported: llada, dream, llada-moe/,
    );
  });
});

describe("fuzzing the header", () => {
  it("400 corrupted headers: each loads or is a CheckpointError naming the file", async () => {
    const headerEnd = tensorEntry("output.weight").offset + 8;
    let state = 12345;
    const random = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const outcomes = { loaded: 0, refused: 0 };
    for (let i = 0; i < 400; i++) {
      const error = await loadEdited((copy) => {
        const kind = random();
        if (kind < 0.1) return copy.subarray(0, Math.floor(random() * headerEnd)); // truncated
        // Counts, lengths, types and offsets live in the first bytes and the tensor index; strings
        // elsewhere. Hit both, a few bytes at a time, with small and extreme values.
        const edits = 1 + Math.floor(random() * 4);
        for (let e = 0; e < edits; e++) {
          const near = random() < 0.5 ? Math.floor(random() * 64) : Math.floor(random() * headerEnd);
          const where = random() < 0.3 ? headerEnd - 1 - Math.floor(random() * 1200) : near;
          copy[Math.max(0, where)] =
            random() < 0.5 ? Math.floor(random() * 256) : ([0, 1, 0x7f, 0x80, 0xff][e % 5] as number);
        }
        return copy;
      });
      outcomes[error ? "refused" : "loaded"]++;
    }
    expect(outcomes.refused).toBeGreaterThan(100); // the corruption mostly hit structure
  });
});
