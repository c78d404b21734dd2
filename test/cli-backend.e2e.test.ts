// `anneal serve|train|eval` as a user types them: every flag reaches the backend's own command (the
// root's --api-key and --model must not swallow them), bad values exit 2 with one line.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { defaultModelDir } from "@anneal/backend";
import { afterEach, describe, expect, it } from "vitest";
import { native } from "../packages/backend/src/native";
import { repoFiles, startHubServer } from "../packages/backend/test/support/hub-server";
import { useContractCheck } from "./support/contract";

useContractCheck();

const bin = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url));
const modelDir = defaultModelDir() as string;
const env = { ...process.env, ANNEAL_API_KEYS: undefined, NO_COLOR: "1" };
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill("SIGKILL");
  child = undefined;
});

/** Starts `anneal serve ...args` and resolves to its origin and stderr once it is ready. */
function serve(args: string[], extraEnv: Record<string, string> = {}): Promise<{ origin: string; log: string }> {
  child = spawn(process.execPath, [bin, "serve", "--port", "0", "--threads", "1", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...env, ...extraEnv },
  });
  let log = "";
  return new Promise((resolve, reject) => {
    child?.stderr?.on("data", (data: Buffer) => {
      log += data.toString();
      const origin = /listening on (http:\/\/[\d.:]+)/.exec(log)?.[1];
      if (origin && log.includes("ready")) resolve({ origin, log });
    });
    child?.on("exit", (code) => reject(new Error(`anneal serve exited with ${code}: ${log}`)));
  });
}

function run(args: string[], extraEnv: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...env, ...extraEnv }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("anneal serve receives its own flags", () => {
  it("--api-key: the server requires that key (and warns that argv is visible)", async () => {
    const { origin, log } = await serve(["--api-key", "sk_cli_serve"]);
    expect(log).toMatch(
      /ready — anneal-code-11m on cpu \((portable|avx2|avx512) kernels, BF16 weights(, bf16 dot products)?\) \(API key required\)/,
    );
    expect(log).toMatch(/warning: a key given with --api-key is visible/);
    expect((await fetch(`${origin}/v1/models`)).status).toBe(401);
    const ok = await fetch(`${origin}/v1/models`, { headers: { authorization: "Bearer sk_cli_serve" } });
    expect(ok.status).toBe(200);
  });

  it("--api-key-file and ANNEAL_API_KEYS: keys without the argv warning", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "anneal-keys-")), "keys");
    writeFileSync(file, "sk_from_file\n");
    const { origin, log } = await serve(["--api-key-file", file], { ANNEAL_API_KEYS: "sk_from_env" });
    expect(log).not.toMatch(/warning/);
    for (const key of ["sk_from_file", "sk_from_env"]) {
      expect((await fetch(`${origin}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    }
  });

  it("serves the playground at / by default, and --no-ui turns it off", async () => {
    const withUi = await serve([]);
    expect(withUi.log).toMatch(/playground at http:\/\/[\d.:]+\/playground\//);
    const root = await fetch(`${withUi.origin}/`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect((await fetch(`${withUi.origin}/playground/`)).status).toBe(200);
    child?.kill("SIGKILL");

    const withoutUi = await serve(["--no-ui"]);
    expect(withoutUi.log).not.toMatch(/playground/);
    expect((await fetch(`${withoutUi.origin}/`, { redirect: "manual" })).status).toBe(404);
    expect((await fetch(`${withoutUi.origin}/playground/`)).status).toBe(404);
    expect((await fetch(`${withoutUi.origin}/playground/app.js`)).status).toBe(404);
  });

  it("--host beyond loopback without a key warns that anyone can use the models", async () => {
    const { log } = await serve(["--host", "0.0.0.0"]);
    expect(log).toMatch(/warning: listening on 0\.0\.0\.0 without an API key: anyone who can reach this port/);
  });

  it("--model ID=DIR: that model is served under that id", async () => {
    const { origin } = await serve(["--model", `chosen=${modelDir}`]);
    const models = (await (await fetch(`${origin}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toContain("chosen");
  });

  it("--max-tokens: the server's cap is the one given", async () => {
    const { origin } = await serve(["--max-tokens", "7"]);
    const response = await fetch(`${origin}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mercury-2", messages: [{ role: "user", content: "hi" }], max_tokens: 8 }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/at most 7/);
  });

  it.each([
    [["--api-key", ""], /--api-key is empty/, {}],
    [["--port", "abc"], /option '--port <n>' argument 'abc' is invalid/, {}],
    [["--device", "tpu"], /Allowed choices are auto, cpu, cuda/, {}],
    [["--model", "/no/such/folder"], /--model \/no\/such\/folder: no such folder or file/, {}],
    [["--quantize", "q2_k"], /Allowed choices are q8_0, q4_k/, {}],
    [[], /ANNEAL_API_KEYS holds an empty key/, { ANNEAL_API_KEYS: " , " }],
  ] as [string[], RegExp, Record<string, string>][])(
    "refuses %j with one line and exit code 2",
    async (args, message, extra) => {
      const result = await run(["serve", ...args], extra);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    },
  );

  it("an empty --api-key-file is refused", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "anneal-keys-")), "empty");
    writeFileSync(file, "\n  \n");
    const result = await run(["serve", "--api-key-file", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/holds no key/);
  });
});

describe("anneal eval and train receive their own flags", () => {
  it("eval --model DIR --data D evaluates that model on that data", async () => {
    const data = fileURLToPath(new URL("../packages/sdk/src", import.meta.url));
    const result = await run([
      "eval",
      "--model",
      modelDir,
      "--data",
      data,
      "--cases",
      "1",
      "--held-out-fraction",
      "0.5",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).heldOutAccuracy).toBeGreaterThan(0);
  }, 60_000);

  it("train without --out is a usage error naming the flag; --help is the trainer's", async () => {
    const missing = await run(["train", "--steps", "1"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--out <dir>' not specified/);
    const help = await run(["train", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--checkpoint-every <n>/);
  });
});

describe("GGUF files, Hub ids and quantizing: anneal convert, then serve", () => {
  it("convert writes a Q4_K_M file; serve --model FILE runs it with int8 products, its id the file's name", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "anneal-convert-")), "code-q4.gguf");
    const converted = await run(["convert", "--out", out, "--type", "q4_k_m"]);
    expect(converted.stderr).toBe("");
    expect(converted.code).toBe(0);
    expect(converted.stdout).toMatch(/code-q4\.gguf: [\d.]+ MiB, q4_k_m \(tensors: \d+ Q4_K, \d+ F32, \d+ Q6_K\)/);
    const { origin, log } = await serve(["--model", out]);
    expect(log).toMatch(
      /ready — code-q4 on cpu \((portable|avx2|avx512) kernels, Q4_K\+Q6_K weights, (portable|avx2|vnni) int8\)/,
    );
    const response = await fetch(`${origin}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "code-q4", messages: [{ role: "user", content: "hi" }], max_tokens: 8 }),
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { model: string; choices: { finish_reason: string }[] };
    expect(answer.model).toBe("code-q4");
    expect(["stop", "length"]).toContain(answer.choices[0]?.finish_reason);
  }, 60_000);

  it("convert --model FILE.gguf --type T requantizes a GGUF file; without --type it says to name one", async () => {
    const folder = mkdtempSync(join(tmpdir(), "anneal-requant-"));
    const q8 = join(folder, "code-q8.gguf");
    expect((await run(["convert", "--out", q8, "--type", "q8_0"])).code).toBe(0);
    const requantized = await run([
      "convert",
      "--model",
      q8,
      "--out",
      join(folder, "code-q4.gguf"),
      "--type",
      "q4_k_m",
    ]);
    expect(requantized.code).toBe(0);
    expect(requantized.stdout).toMatch(/code-q4\.gguf: [\d.]+ MiB, q4_k_m \(tensors: \d+ Q4_K/);
    const refused = await run(["convert", "--model", q8, "--out", join(folder, "again.gguf")]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^anneal: --model .*code-q8\.gguf is a GGUF file already: name the --type to requantize it to\n$/,
    );
  }, 60_000);

  it("serve --model ORG/NAME finds the model in the Hugging Face cache and serves it under that id", async () => {
    const cache = mkdtempSync(join(tmpdir(), "anneal-hub-cache-"));
    const snapshot = join(cache, "models--anneal--code-11m", "snapshots", "a".repeat(40));
    cpSync(modelDir, snapshot, { recursive: true });
    mkdirSync(join(cache, "models--anneal--code-11m", "refs"));
    writeFileSync(join(cache, "models--anneal--code-11m", "refs", "main"), "a".repeat(40));
    const { origin, log } = await serve(["--model", "anneal/code-11m"], { HF_HUB_CACHE: cache });
    expect(log).toMatch(/ready — anneal\/code-11m on cpu/);
    const models = (await (await fetch(`${origin}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toContain("anneal/code-11m");
  });

  it("models pull ORG/NAME downloads from the Hub into the cache with progress; serve then loads it without the network", async () => {
    const hub = await startHubServer({
      "anneal/code-11m": { files: repoFiles(modelDir), commit: "b".repeat(40) },
    });
    try {
      const cache = mkdtempSync(join(tmpdir(), "anneal-hub-pull-"));
      const hubEnv = { HF_HUB_CACHE: cache, HF_ENDPOINT: hub.url, HF_HOME: cache };
      const pulled = await run(["models", "pull", "anneal/code-11m"], hubEnv);
      expect(pulled.code).toBe(0);
      const snapshot = join(cache, "models--anneal--code-11m", "snapshots", "b".repeat(40));
      expect(pulled.stdout).toBe(`${snapshot}\n`);
      // Lines, not a bar, when stderr is not a terminal: a start, tenths of the large weights file, an end.
      expect(pulled.stderr).toMatch(/anneal\/code-11m \[\d\/\d\] model\.safetensors: downloading [\d.]+ MiB\n/);
      expect(pulled.stderr).toMatch(/model\.safetensors: 50% of [\d.]+ MiB\n/);
      expect(pulled.stderr).toMatch(/model\.safetensors: done\n/);
      // What the loader reads; the model card and its loss plot stay on the Hub.
      expect(readdirSync(snapshot).sort()).toEqual([
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
      ]);
      const requests = hub.requests.length;
      const { log } = await serve(["--model", "anneal/code-11m", "--offline"], hubEnv);
      expect(log).toMatch(/ready — anneal\/code-11m on cpu/);
      expect(hub.requests.length).toBe(requests);
    } finally {
      await hub.close();
    }
  }, 60_000);

  it("serve --model ORG/NAME not yet cached downloads it, logging progress, then serves it", async () => {
    const hub = await startHubServer({
      "anneal/code-11m": { files: repoFiles(modelDir), commit: "c".repeat(40) },
    });
    try {
      const cache = mkdtempSync(join(tmpdir(), "anneal-hub-serve-"));
      const { origin, log } = await serve(["--model", "anneal/code-11m"], {
        HF_HUB_CACHE: cache,
        HF_ENDPOINT: hub.url,
        HF_HOME: cache,
      });
      expect(log).toMatch(/anneal serve: anneal\/code-11m \[\d\/\d\] model\.safetensors: downloading/);
      expect(log).toMatch(/ready — anneal\/code-11m on cpu/);
      const models = (await (await fetch(`${origin}/v1/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((m) => m.id)).toContain("anneal/code-11m");
    } finally {
      await hub.close();
    }
  }, 60_000);

  it("models pull on a terminal draws a progress bar per file", async () => {
    const hub = await startHubServer({ "anneal/code-11m": { files: repoFiles(modelDir), commit: "e".repeat(40) } });
    try {
      const cache = mkdtempSync(join(tmpdir(), "anneal-hub-tty-"));
      // `script` gives the command a terminal, as the chat's pty test does.
      const screen = await new Promise<string>((resolve) => {
        execFile(
          "script",
          ["-qfec", `${process.execPath} ${bin} models pull anneal/code-11m`, "/dev/null"],
          {
            env: { ...env, HF_HUB_CACHE: cache, HF_ENDPOINT: hub.url, HF_HOME: cache, TERM: "xterm" },
            timeout: 60_000,
          },
          (_error, stdout) => resolve(stripVTControlCharacters(stdout)),
        );
      });
      expect(screen).toMatch(/\[\d\/5\] model\.safetensors [█░]+ 100% [\d.]+ MiB of [\d.]+ MiB/);
      expect(screen).toMatch(/\[1\/5\] config\.json [█░]+ 100%/);
      expect(screen).toContain(join(cache, "models--anneal--code-11m", "snapshots", "e".repeat(40)));
    } finally {
      await hub.close();
    }
  }, 60_000);

  it("models pull of a gated repo without HF_TOKEN: one line naming HF_TOKEN, exit code 1", async () => {
    const hub = await startHubServer({
      "anneal/gated": { files: repoFiles(modelDir), commit: "d".repeat(40), token: "hf_secret" },
    });
    try {
      const cache = mkdtempSync(join(tmpdir(), "anneal-hub-gated-"));
      const result = await run(["models", "pull", "anneal/gated"], {
        HF_HUB_CACHE: cache,
        HF_ENDPOINT: hub.url,
        HF_HOME: cache,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^anneal: anneal\/gated: the repo is gated or private \(401\): set HF_TOKEN/);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    } finally {
      await hub.close();
    }
  });

  it("serve --bf16 widen multiplies the BF16 checkpoint exactly in float32; dot (the default where the CPU has it) says so", async () => {
    const { log } = await serve(["--bf16", "widen"]);
    expect(log).toMatch(/ready — anneal-code-11m on cpu \(\w+ kernels, BF16 weights\)\n/);
    if (!native().cpuInfo().avx512Bf16) return;
    child?.kill("SIGKILL");
    const dot = await serve([]);
    expect(dot.log).toMatch(/ready — anneal-code-11m on cpu \(avx512 kernels, BF16 weights, bf16 dot products\)/);
  });

  it("serve --quantize q8_0 quantizes the checkpoint folder at load", async () => {
    const { log } = await serve(["--quantize", "q8_0"]);
    expect(log).toMatch(/ready — anneal-code-11m on cpu \(\w+ kernels, Q8_0 weights, \w+ int8\)/);
  });

  it.each([
    [["--out", "model.bin"], /--out model\.bin: the file name must end in \.gguf/],
    [
      ["--out", "m.gguf", "--type", "q3_k"],
      /Allowed choices are auto, f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k, q4_k_m/,
    ],
    [["--out", "m.gguf", "--model", "/no/such/folder"], /--model \/no\/such\/folder: no such folder/],
    [[], /required option '--out <file.gguf>' not specified/],
  ])("convert %j is refused with one line and exit code 2", async (args, message) => {
    const result = await run(["convert", ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("the CLI without the backend installed", () => {
  it("serve says how to get the backend, in one line with exit code 2; other commands still work", async () => {
    // The built CLI in a folder whose node_modules has every dependency of the CLI but @anneal/backend.
    const root = mkdtempSync(join(tmpdir(), "anneal-cli-alone-"));
    const cliModules = fileURLToPath(new URL("../packages/cli/node_modules", import.meta.url));
    mkdirSync(join(root, "node_modules", "@anneal"), { recursive: true });
    for (const name of readdirSync(cliModules)) {
      if (name === "@anneal" || name.startsWith(".")) continue;
      symlinkSync(join(cliModules, name), join(root, "node_modules", name));
    }
    symlinkSync(join(cliModules, "@anneal", "sdk"), join(root, "node_modules", "@anneal", "sdk"));
    cpSync(dirname(bin), join(root, "dist"), { recursive: true });
    writeFileSync(join(root, "package.json"), '{"type": "module"}');
    const alone = (args: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, [join(root, "dist", "bin.js"), ...args], { env }, (error, _stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
        );
      });
    const served = await alone(["serve", "--port", "0"]);
    expect(served.code).toBe(2);
    expect(served.stderr.trim()).toBe(
      "anneal: serve needs the self-hosted backend, which is not installed: npm install -g @anneal/backend (it builds the engine with cmake and a C++17 compiler)",
    );
    expect((await alone(["--help"])).code).toBe(0);
  });
});
