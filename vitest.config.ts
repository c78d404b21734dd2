// One vitest run for the whole workspace: package unit tests and the end-to-end tests in test/.
import { defineConfig } from "vitest/config";

export default defineConfig({
  // The CLI's ink components are TSX with React's automatic runtime.
  esbuild: { jsx: "automatic" },
  test: {
    include: ["packages/*/test/**/*.test.{ts,tsx}", "test/**/*.test.ts"],
    testTimeout: 20_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
    globalSetup: ["./test/support/temp-root.ts"],
  },
});
