// Builds @anneal/backend (ESM, Node only); the native addon stays in native/build.
import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "commands/index": "src/commands/index.ts",
    "bin/train": "src/bin/train.ts",
    "bin/eval": "src/bin/eval.ts",
    "bin/convert": "src/bin/convert.ts",
    "bin/serve": "src/bin/serve.ts",
    "bin/pull": "src/bin/pull.ts",
  },
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
});
