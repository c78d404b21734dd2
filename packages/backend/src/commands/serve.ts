// `anneal serve` (and the `anneal-serve` bin): the Mercury-style API on Anneal's engine. Its options
// are defined here once; the CLI forwards its arguments untouched.
import { existsSync, readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { hubIdOf } from "../checkpoint/hub-cache";
import { QUANTIZE_CHOICES, type QuantizeChoice } from "../checkpoint/load";
import { defaultModelDir } from "../default-model";
import { type Bf16Products, type Device, type NativeModel, native } from "../native";
import { SERVER_DEFAULTS as D } from "../server/defaults";
import { createServer, type ServerOptions } from "../server/server";
import { progressLines } from "./download-progress";
import { collect, nonNegativeInteger, nonNegativeNumber, UsageError } from "./usage-error";

interface ServeFlags {
  model: string[];
  port?: number;
  host?: string;
  apiKey: string[];
  apiKeyFile?: string;
  publicMetrics?: boolean;
  maxConcurrent?: number;
  maxQueue?: number;
  maxTokens?: number;
  timeout?: number;
  threads?: number;
  device: Device;
  quantize?: QuantizeChoice;
  bf16?: Bf16Products;
  config?: string;
  log?: boolean;
  offline?: boolean;
  /** commander's negation of --no-ui: false when given. */
  ui: boolean;
}

export function serveCommand(name = "anneal serve"): Command {
  return new Command(name)
    .description("Serve diffusion models over the Mercury-style API (OpenAI-compatible).")
    .option(
      "--model <[id=]path>",
      "a checkpoint folder, .gguf file, or Hugging Face id (org/name[@rev][:pattern]: from the local Hugging Face cache, else downloaded into it); repeatable; default: the built-in model",
      collect,
      [],
    )
    .option("--port <n>", `port (default ${D.port}; 0 picks a free one)`, nonNegativeInteger)
    .option("--host <addr>", `address to listen on (default ${D.host})`)
    .option(
      "--api-key <key>",
      "require this bearer key (repeatable); visible in the process list, so prefer --api-key-file or ANNEAL_API_KEYS=k1,k2",
      collect,
      [],
    )
    .option("--api-key-file <file>", "require the keys in this file (one per line)")
    .option("--public-metrics", "serve /metrics without a key even when keys are required")
    .option(
      "--max-concurrent <n>",
      `generations at once, batched together (default ${D.maxConcurrent})`,
      nonNegativeInteger,
    )
    .option("--max-queue <n>", `requests that may wait (default ${D.maxQueue}); beyond that 429`, nonNegativeInteger)
    .option("--max-tokens <n>", `largest max_tokens (default ${D.maxTokens})`, nonNegativeInteger)
    .option(
      "--timeout <s>",
      `stop a generation after S seconds (default ${D.requestTimeoutMs / 1000})`,
      nonNegativeNumber,
    )
    .option("--threads <n>", "engine threads per model (default: one per core)", nonNegativeInteger)
    .addOption(
      new Option("--device <device>", "where models run (auto: CUDA when a GPU answers, else CPU)")
        .choices(["auto", "cpu", "cuda"])
        .default("auto"),
    )
    .addOption(
      new Option(
        "--quantize <type>",
        "quantize float weights at load (CPU): q8_0, or q4_k (Q4_K, Q6_K head); GGUF files keep their own",
      ).choices(QUANTIZE_CHOICES),
    )
    .addOption(
      new Option(
        "--bf16 <products>",
        "BF16 matrices on the CPU: dot (the CPU's BF16 dot-product instruction, activations rounded to BF16; the default where present) or widen (exact float32 products)",
      ).choices(["dot", "widen"]),
    )
    .option("--offline", "never download: Hub ids must be in the local cache (also HF_HUB_OFFLINE=1)")
    .option("--no-ui", "do not serve the web playground at / and /playground/")
    .option("--config <file>", "JSON with any of these options in camelCase (flags win)")
    .option("--log", "structured request logs (pino) on stdout")
    .action((flags: ServeFlags) => serve(flags, name));
}

async function serve(flags: ServeFlags, name: string): Promise<void> {
  if (flags.device === "cuda") {
    const cuda = native().cudaInfo();
    if (!cuda.built)
      throw new UsageError(
        "--device cuda: this build of the engine has no CUDA kernels (no CUDA toolkit at install time)",
      );
    if (cuda.devices === 0)
      throw new UsageError(`--device cuda: no GPU answers (${cuda.error}); use --device cpu or auto`);
  }
  const file = flags.config ? readConfig(flags.config) : {};
  const setting = <T>(flag: T | undefined, key: string, fallback: T): T =>
    flag ?? (file[key] as T | undefined) ?? fallback;

  const modelArgs = flags.model.length > 0 ? flags.model : ((file.models as string[] | undefined) ?? []);
  const models = modelArgs.map((arg) => {
    const [id, dir] = arg.includes("=") ? (arg.split("=", 2) as [string, string]) : [undefined, arg];
    if (!existsSync(dir) && !hubIdOf(dir)) throw new UsageError(`--model ${dir}: no such folder or file`);
    return id ? { id, dir } : { dir };
  });
  if (models.length === 0) {
    const builtIn = defaultModelDir();
    if (!builtIn) throw new UsageError("no --model given and the built-in model is missing");
    models.push({ dir: builtIn });
  }
  const apiKeys = readApiKeys(flags, name);
  const quantize = setting(flags.quantize, "quantize", undefined);
  if (quantize !== undefined && !QUANTIZE_CHOICES.includes(quantize)) {
    throw new UsageError(`quantize must be one of ${QUANTIZE_CHOICES.join(", ")} (got ${JSON.stringify(quantize)})`);
  }
  const options: ServerOptions = {
    models,
    apiKeys,
    publicMetrics: setting(flags.publicMetrics, "publicMetrics", false),
    maxConcurrent: setting(flags.maxConcurrent, "maxConcurrent", D.maxConcurrent),
    maxQueue: setting(flags.maxQueue, "maxQueue", D.maxQueue),
    maxTokens: setting(flags.maxTokens, "maxTokens", D.maxTokens),
    requestTimeoutMs: setting(flags.timeout, "timeout", D.requestTimeoutMs / 1000) * 1000,
    threads: setting(flags.threads, "threads", 0),
    device: flags.device,
    ...(quantize ? { quantize } : {}),
    ...(flags.bf16 ? { bf16: flags.bf16 } : {}),
    hub: {
      ...(setting(flags.offline, "offline", undefined) ? { offline: true } : {}),
      onProgress: progressLines((line) => process.stderr.write(`${name}: ${line}\n`)),
    },
    ui: flags.ui === false ? false : setting<boolean>(undefined, "ui", true),
    logger: flags.log === true,
  };

  const server = createServer(options);
  const host = setting(flags.host, "host", D.host);
  const address = await server.listen(setting(flags.port, "port", D.port), host);
  process.stderr.write(`${name}: listening on ${address} (loading ${models.map((m) => m.dir).join(", ")})\n`);
  if (options.ui) process.stderr.write(`${name}: playground at ${address}/playground/\n`);
  if (apiKeys.length === 0 && !isLoopback(host)) {
    process.stderr.write(
      `${name}: warning: listening on ${host} without an API key: anyone who can reach this port can use the models${options.ui ? " and the playground" : ""}; set --api-key-file or ANNEAL_API_KEYS\n`,
    );
  }
  server.ready.then(
    () =>
      process.stderr.write(
        `${name}: ready — ${server.registry.models.map((m) => `${m.id} on ${where(m.checkpoint.model.info())}`).join(", ")}${apiKeys.length ? " (API key required)" : ""}\n`,
      ),
    (error: unknown) => {
      process.stderr.write(`${name}: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1); // a second signal: stop now
      stopping = true;
      process.stderr.write(`${name}: ${signal}, finishing in-flight requests\n`);
      server.close().then(() => process.exit(0));
    });
  }
}

/** "cpu (avx512 kernels, Q8_0 weights, vnni int8)" or the GPU's name: where and how a model runs. */
function where(info: ReturnType<NativeModel["info"]>): string {
  if (info.device !== "cpu") return info.device;
  const int8 = info.int8 && info.weights && /Q\d/.test(info.weights) ? `, ${info.int8} int8` : "";
  const bf16 = info.bf16 === "dot" && info.weights?.includes("BF16") ? ", bf16 dot products" : "";
  return `cpu (${info.kernels} kernels, ${info.weights ?? "F32"} weights${int8}${bf16})`;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

function readConfig(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`${path}: ${(error as Error).message}`);
  }
}

/** Keys from the flags, the key file and ANNEAL_API_KEYS; an empty one is refused, never ignored. */
function readApiKeys(flags: ServeFlags, name: string): string[] {
  const keys: string[] = [];
  for (const key of flags.apiKey) {
    if (!key.trim()) throw new UsageError("--api-key is empty; give a key, or leave the flag out to serve without one");
    keys.push(key.trim());
  }
  if (flags.apiKey.length > 0) {
    process.stderr.write(
      `${name}: warning: a key given with --api-key is visible to every user of this machine (ps); prefer --api-key-file or ANNEAL_API_KEYS\n`,
    );
  }
  if (flags.apiKeyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.apiKeyFile, "utf8");
    } catch (error) {
      throw new UsageError(
        `--api-key-file ${flags.apiKeyFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    const fromFile = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean);
    if (fromFile.length === 0) throw new UsageError(`--api-key-file ${flags.apiKeyFile} holds no key`);
    keys.push(...fromFile);
  }
  const fromEnv = process.env.ANNEAL_API_KEYS;
  if (fromEnv !== undefined) {
    const entries = fromEnv.split(",").map((key) => key.trim());
    if (entries.some((key) => key === ""))
      throw new UsageError("ANNEAL_API_KEYS holds an empty key (keys are comma-separated)");
    keys.push(...entries);
  }
  return keys;
}
