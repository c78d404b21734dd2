// Builds the native addon with CMake at install time: `node native/build.mjs` (run by `pnpm install`).
// Uses only what is on the machine and in node_modules: cmake, a C++ compiler, node-addon-api and
// node-api-headers. Set ANNEAL_CUDA=OFF to skip the CUDA kernels.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const buildDir = join(here, "build");
// node-addon-api's include_dir is relative to the working directory; resolve it from its package.
const includeDirs = [dirname(require.resolve("node-addon-api/package.json")), require("node-api-headers").include_dir];

function run(args) {
  execFileSync("cmake", args, { stdio: "inherit" });
}

try {
  run([
    "-S",
    here,
    "-B",
    buildDir,
    "-DCMAKE_BUILD_TYPE=Release",
    `-DNODE_API_INCLUDE_DIRS=${includeDirs.join(";")}`,
    `-DANNEAL_CUDA=${process.env.ANNEAL_CUDA ?? "ON"}`,
  ]);
  // Every target: the addon, and with CUDA the GPU check program bench/device.sh runs, so that CI
  // compiles it too.
  run(["--build", buildDir, "--parallel", String(Math.max(1, cpus().length))]);
} catch (error) {
  console.error(`anneal: building the native addon failed (${error.message}). It needs cmake and a C++17 compiler.`);
  process.exit(1);
}
