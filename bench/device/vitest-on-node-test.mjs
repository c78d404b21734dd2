// The part of vitest's API our GPU and server tests use, on Node's own test runner (node:test) and
// Jest's `expect`: what lets those test files run, bundled, on the GPU machine, which has no
// node_modules. The device pack aliases "vitest" to this module (bench/device/bundle.mjs).

import * as nodeTest from "node:test";
import { format } from "node:util";
import { expect as jestExpect } from "expect";

export { after as afterAll, afterEach, before as beforeAll, beforeEach } from "node:test";

/** vitest's (name, fn, timeout) on node:test's (name, options, fn); `skip` may be a reason. */
function runner(base) {
  const run = (name, fn, timeout, skip = false) =>
    base(name, { ...(typeof timeout === "number" ? { timeout } : {}), skip }, fn);
  const call = (name, fn, timeout) => run(name, fn, timeout);
  call.skip = (name, fn, timeout) => run(name, fn, timeout, true);
  call.skipIf = (condition) => (name, fn, timeout) => run(name, fn, timeout, Boolean(condition));
  call.runIf = (condition) => (name, fn, timeout) => run(name, fn, timeout, !condition);
  // Rows spread into printf-style names (%s, %d, %j) and into the function's arguments.
  call.each = (rows) => (name, fn, timeout) => {
    for (const row of rows) {
      const args = Array.isArray(row) ? row : [row];
      run(format(name, ...args), () => fn(...args), timeout);
    }
  };
  return call;
}

export const describe = runner(nodeTest.describe);
export const it = runner(nodeTest.it);
export const test = it;

/** vitest's expect.poll: the matcher is retried on fresh values until it passes or time runs out. */
function poll(read, { timeout = 1000, interval = 50 } = {}) {
  return new Proxy(
    {},
    {
      get:
        (_target, matcher) =>
        async (...expected) => {
          const deadline = Date.now() + timeout;
          for (;;) {
            const value = await read();
            try {
              return jestExpect(value)[matcher](...expected);
            } catch (error) {
              if (Date.now() >= deadline) throw error;
              await new Promise((resolve) => setTimeout(resolve, interval));
            }
          }
        },
    },
  );
}

export const expect = Object.assign((...args) => jestExpect(...args), jestExpect, { poll });
