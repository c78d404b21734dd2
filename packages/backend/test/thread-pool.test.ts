// The worker pool under every parallel operation: each work item runs exactly once per call, for
// any thread count and range size, whether idle workers poll (the default) or sleep at once.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { native } from "../src/native";

const addon = native();

describe("thread pool", () => {
  for (const spinUs of [0, 200]) {
    it(`runs every item of every call exactly once (idle workers poll ${spinUs} µs)`, () => {
      for (const threads of [1, 2, 3, 4]) {
        for (const items of [1, 2, 3, 5, 8, 9, 16, 17, 1001]) {
          const { wrong, threadsUsed } = addon.kernels.poolCoverage(threads, items, 40, spinUs);
          expect({ threads, items, wrong }).toEqual({ threads, items, wrong: 0 });
          expect(threadsUsed).toBeGreaterThanOrEqual(1);
          expect(threadsUsed).toBeLessThanOrEqual(threads);
        }
      }
    });
  }

  it("takes its polling time from ANNEAL_SPIN_US: 200 µs unset, a whole number as given, anything else the default", () => {
    const addonPath = fileURLToPath(new URL("../native/build/anneal.node", import.meta.url));
    const spinWith = (value: string | undefined) => {
      const env = { ...process.env };
      delete env.ANNEAL_SPIN_US;
      if (value !== undefined) env.ANNEAL_SPIN_US = value;
      const script = `console.log(require(${JSON.stringify(addonPath)}).kernels.poolCoverage(2, 4, 1, -1).spinUs)`;
      return Number(execFileSync(process.execPath, ["-e", script], { env, encoding: "utf8" }).trim());
    };
    expect(spinWith(undefined)).toBe(200);
    expect(spinWith("0")).toBe(0);
    expect(spinWith("50")).toBe(50);
    for (const bad of ["-3", "abc", "12us", ""]) expect(spinWith(bad)).toBe(200);
    expect(addon.kernels.poolCoverage(2, 4, 1, 7).spinUs).toBe(7);
  });
});
