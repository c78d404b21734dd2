// A block-diffusion model (a tiny SDAR) behind the real server: chat answers, streamed drafts with
// the canvas, the GGUF exporter's and FIM's refusals, each with a message that says why.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportGguf } from "../src/checkpoint/gguf-export";
import { CheckpointError, createServer } from "../src/index";
import { TINY_SDAR, writeCheckpoint } from "./support/write-checkpoint";

const written = writeCheckpoint(
  { ...TINY_SDAR, seed: 81 },
  join(mkdtempSync(join(tmpdir(), "anneal-sdar-")), "SDAR-tiny-Chat"),
);
const server = createServer({ models: [{ id: "sdar", dir: written.dir }], threads: 2 });
let origin = "";
beforeAll(async () => {
  origin = await server.listen(0, "127.0.0.1");
  await server.ready;
}, 30_000);
afterAll(() => server.close());

const post = (path: string, body: unknown) =>
  fetch(`${origin}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("serving SDAR", () => {
  it("answers a chat request, decoded block by block (the usage counts its passes)", async () => {
    const response = await post("/v1/chat/completions", {
      model: "sdar",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 12,
      temperature: 0,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      choices: { message: { content: string } }[];
      usage: { forward_passes: number; completion_tokens: number };
    };
    expect(typeof body.choices[0]?.message.content).toBe("string");
    expect(body.usage.forward_passes).toBeGreaterThan(0);
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(12);
  });

  it("streams diffusing drafts whose canvas only ever loses masks", async () => {
    const response = await post("/v1/chat/completions", {
      model: "sdar",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 12,
      temperature: 0,
      ignore_eos: true,
      stream: true,
      diffusing: true,
      canvas: true,
    });
    const frames = (await response.text())
      .split("\n\n")
      .filter((frame) => frame.startsWith("data: {"))
      .map((frame) => JSON.parse(frame.slice(6)) as { canvas?: { masked: boolean[] } });
    const masked = frames.flatMap((frame) => (frame.canvas ? [frame.canvas.masked.filter(Boolean).length] : []));
    expect(masked.length).toBeGreaterThan(2);
    for (let i = 1; i < masked.length; i++) expect(masked[i]).toBeLessThanOrEqual(masked[i - 1] as number);
    expect(masked.at(-1)).toBe(0);
  });

  it("refuses to fill a gap (FIM with a suffix): 400 naming the suffix", async () => {
    const response = await post("/v1/fim/completions", { model: "sdar", prompt: "def f(", suffix: "\n    return x" });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { message: string; param: string } };
    expect(error.param).toBe("suffix");
    expect(error.message).toMatch(/causal blocks/);
  });

  it("the GGUF exporter refuses it, naming the folder", () => {
    expect(() => exportGguf(written.dir, join(tmpdir(), "sdar.gguf"))).toThrow(CheckpointError);
    expect(() => exportGguf(written.dir, join(tmpdir(), "sdar.gguf"))).toThrow(/no GGUF layout/);
  });
});
