#!/usr/bin/env node
// anneal-serve: the Mercury-style API on Anneal's engine. (`anneal serve` in the CLI will call createServer too.)
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { defaultModelDir } from "../default-model";
import { type Device, native } from "../native";
import { createServer, type ServerOptions } from "../server/server";

const USAGE = `usage: anneal-serve [--model [ID=]DIR ...] [--port N] [--host ADDR] [--api-key KEY ...] [options]

  --model [ID=]DIR     a checkpoint folder to serve (repeatable; default: the built-in model)
  --port N             default 8000 (0 picks a free port)
  --host ADDR          default 127.0.0.1
  --api-key KEY        require this bearer key (repeatable; also ANNEAL_API_KEYS=k1,k2, --api-key-file F)
  --max-concurrent N   generations at once, batched together (default 4)
  --max-queue N        requests that may wait (default 16); beyond that 429
  --max-tokens N       largest max_tokens (default 1024)
  --timeout S          stop a generation after S seconds (default 300)
  --threads N          engine threads per model (default: one per core)
  --device D           auto (default: CUDA when a GPU answers, else CPU), cpu or cuda
  --config FILE        JSON with any of these options (flags win)
  --log                structured request logs (pino) on stdout
`;

function fail(message: string): never {
  process.stderr.write(`anneal-serve: ${message}\n${USAGE}`);
  process.exit(2);
}

let values: Record<string, string | boolean | string[] | undefined>;
try {
  values = parseArgs({
    options: {
      model: { type: "string", multiple: true },
      port: { type: "string" },
      host: { type: "string" },
      "api-key": { type: "string", multiple: true },
      "api-key-file": { type: "string" },
      "max-concurrent": { type: "string" },
      "max-queue": { type: "string" },
      "max-tokens": { type: "string" },
      timeout: { type: "string" },
      threads: { type: "string" },
      device: { type: "string" },
      config: { type: "string" },
      log: { type: "boolean" },
      help: { type: "boolean" },
    },
  }).values;
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const device = (values.device as string | undefined) ?? "auto";
if (!["cpu", "auto", "cuda"].includes(device)) fail(`--device must be cpu, cuda or auto (got ${device})`);
if (device === "cuda") {
  const cuda = native().cudaInfo();
  if (!cuda.built)
    fail("--device cuda: this build of the engine has no CUDA kernels (no CUDA toolkit at install time)");
  if (cuda.devices === 0) fail(`--device cuda: no GPU answers (${cuda.error}); use --device cpu or auto`);
}

const file = typeof values.config === "string" ? readConfig(values.config) : {};
function readConfig(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (error) {
    fail(`${path}: ${(error as Error).message}`);
  }
}
function num(flag: string, key: string, fallback: number): number {
  const raw = values[flag] ?? file[key];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) fail(`--${flag} must be a non-negative number`);
  return value;
}

const modelArgs = (values.model as string[] | undefined) ?? (file.models as string[] | undefined) ?? [];
const models = modelArgs.map((arg) => {
  const [id, dir] = arg.includes("=") ? (arg.split("=", 2) as [string, string]) : [undefined, arg];
  if (!existsSync(dir)) fail(`--model ${dir}: no such folder`);
  return { id, dir };
});
if (models.length === 0) {
  const builtIn = defaultModelDir();
  if (!builtIn) fail("no --model given and the built-in model is missing");
  models.push({ id: undefined, dir: builtIn });
}
const keyFile =
  typeof values["api-key-file"] === "string" ? readFileSync(values["api-key-file"], "utf8").split(/\s+/) : [];
const apiKeys = [
  ...((values["api-key"] as string[] | undefined) ?? []),
  ...(process.env.ANNEAL_API_KEYS?.split(",") ?? []),
  ...keyFile,
]
  .map((k) => k.trim())
  .filter(Boolean);

const options: ServerOptions = {
  models: models.map((m) => (m.id ? { id: m.id, dir: m.dir } : { dir: m.dir })),
  apiKeys,
  maxConcurrent: num("max-concurrent", "maxConcurrent", 4),
  maxQueue: num("max-queue", "maxQueue", 16),
  maxTokens: num("max-tokens", "maxTokens", 1024),
  requestTimeoutMs: num("timeout", "timeout", 300) * 1000,
  threads: num("threads", "threads", 0),
  device: device as Device,
  logger: values.log === true,
};

const server = createServer(options);
const address = await server.listen(
  num("port", "port", 8000),
  (values.host as string | undefined) ?? (file.host as string | undefined) ?? "127.0.0.1",
);
process.stderr.write(
  `anneal-serve: listening on ${address} (loading ${options.models.map((m) => m.dir).join(", ")})\n`,
);
server.ready.then(
  () =>
    process.stderr.write(
      `anneal-serve: ready — ${server.registry.models.map((m) => `${m.id} on ${m.checkpoint.model.info().device}`).join(", ")}${apiKeys.length ? " (API key required)" : ""}\n`,
    ),
  (error: unknown) => {
    process.stderr.write(`anneal-serve: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1); // a second signal: stop now
    stopping = true;
    process.stderr.write(`anneal-serve: ${signal}, finishing in-flight requests\n`);
    server.close().then(() => process.exit(0));
  });
}
