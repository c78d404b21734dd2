// The worker pool under every parallel operation: each work item runs exactly once per call, for
// any thread count and range size, whether idle workers poll (the default) or sleep at once.
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
});
