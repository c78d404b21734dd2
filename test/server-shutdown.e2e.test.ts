// anneal-serve as a process: it loads the built-in model, serves, and on SIGTERM finishes the
// request in flight, refuses new connections and exits 0.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { native } from "@anneal/backend";
import { afterEach, describe, expect, it } from "vitest";
import { useContractCheck } from "./support/contract";

useContractCheck();

const bin = fileURLToPath(new URL("../packages/backend/bin/anneal-serve.js", import.meta.url));
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill("SIGKILL");
});

/** Starts the bin on a free port and resolves to its origin once the model is loaded. */
function startBin(): Promise<string> {
  child = spawn(process.execPath, [bin, "--port", "0", "--threads", "1"], { stdio: ["ignore", "ignore", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    child?.stderr?.on("data", (data: Buffer) => {
      output += data.toString();
      const origin = /listening on (http:\/\/[\d.:]+)/.exec(output)?.[1];
      if (origin && output.includes("ready")) resolve(origin);
    });
    child?.on("exit", (code) => reject(new Error(`anneal-serve exited with ${code}: ${output}`)));
  });
}

describe("anneal-serve", () => {
  it("shuts down gracefully on SIGTERM: the request in flight completes, the process exits 0", async () => {
    const origin = await startBin();
    const response = await fetch(`${origin}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "mercury-2",
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 96,
        stream: true,
        reasoning_effort: "high",
        ignore_eos: true,
      }),
    });
    // The event-stream headers are out: the generation (96 steps) is running.
    expect(response.headers.get("content-type")).toMatch(/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const exited = new Promise<number | null>((resolve) => child?.on("exit", resolve));
    child?.kill("SIGTERM");
    let text = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      text += new TextDecoder().decode(chunk.value);
    expect(text.slice(-200)).toMatch(/data: \[DONE\]\n\n$/);
    expect(text).not.toContain('"error"');
    expect(await exited).toBe(0);
    await expect(fetch(`${origin}/health`)).rejects.toThrow();
  });

  const refusal = async (args: string[]) => {
    const run = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    run.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise((resolve) => run.on("exit", resolve));
    return { code, lines: stderr.trim().split("\n") };
  };

  it("refuses bad flags with a one-line message and exit code 2", async () => {
    const { code, lines } = await refusal(["--port", "abc"]);
    expect(code).toBe(2);
    expect(lines).toEqual([
      "anneal-serve: option '--port <n>' argument 'abc' is invalid. must be a non-negative integer.",
    ]);
    expect((await refusal(["--device", "tpu"])).lines).toEqual([
      "anneal-serve: option '--device <device>' argument 'tpu' is invalid. Allowed choices are auto, cpu, cuda.",
    ]);
  });

  it.skipIf(native().cudaInfo().devices > 0)("without a GPU, --device cuda says why", async () => {
    const { code, lines } = await refusal(["--device", "cuda"]);
    expect(code).toBe(2);
    expect(lines[0]).toMatch(
      /^anneal-serve: --device cuda: (no GPU answers|this build of the engine has no CUDA kernels)/,
    );
  });
});
