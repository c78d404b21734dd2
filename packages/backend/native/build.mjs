// Builds the native addon with CMake at install time: `node native/build.mjs` (run by `pnpm install`).
// Uses only what is on the machine and in node_modules: cmake, a C++ compiler, node-addon-api and
// node-api-headers. The CUDA kernels are compiled only where a GPU is present (or ANNEAL_CUDA=ON):
// compiling them for three GPU generations takes minutes that a CPU-only machine would waste.
//
//   node native/build.mjs                      the addon (CUDA when a GPU is present)
//   ANNEAL_CUDA=ON|OFF node native/build.mjs   force the CUDA kernels in or out
//   node native/build.mjs --all --build-dir D  every target, the GPU check program too (CI proves it compiles)
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { all: { type: "boolean" }, "build-dir": { type: "string" } } });
const buildDir = values["build-dir"] ? resolve(values["build-dir"]) : join(here, "build");
// node-addon-api's include_dir is relative to the working directory; resolve it from its package.
const includeDirs = [dirname(require.resolve("node-addon-api/package.json")), require("node-api-headers").include_dir];

/** An NVIDIA GPU with its driver loaded (the files the driver creates; no CUDA library is loaded). */
function gpuPresent() {
  try {
    return existsSync("/dev/nvidia0") || readdirSync("/proc/driver/nvidia/gpus").length > 0;
  } catch {
    return false;
  }
}

function run(args) {
  execFileSync("cmake", args, { stdio: ["ignore", process.stderr, process.stderr] });
}

const cuda = process.env.ANNEAL_CUDA ?? (gpuPresent() ? "ON" : "OFF");
try {
  run([
    "-S",
    here,
    "-B",
    buildDir,
    "-DCMAKE_BUILD_TYPE=Release",
    `-DNODE_API_INCLUDE_DIRS=${includeDirs.join(";")}`,
    `-DANNEAL_CUDA=${cuda}`,
  ]);
  const targets = values.all ? [] : ["--target", "anneal"];
  run(["--build", buildDir, ...targets, "--parallel", String(Math.max(1, cpus().length))]);
} catch (error) {
  console.error(`anneal: building the native addon failed (${error.message}). It needs cmake and a C++17 compiler.`);
  process.exit(1);
}
