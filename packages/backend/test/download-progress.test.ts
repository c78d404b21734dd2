// Download progress as log lines when several files download at once: each file keeps its own count.
import { describe, expect, it } from "vitest";
import type { DownloadProgress } from "../src/checkpoint/hub-download";
import { progressLines } from "../src/commands/download-progress";

const MiB = 2 ** 20;
const event = (file: string, index: number, bytes: number, total: number): DownloadProgress => ({
  repo: "org/model",
  file,
  bytes,
  total,
  index,
  count: 3,
});

describe("progressLines", () => {
  it("keeps a start, tenths and an end per file while their events interleave", () => {
    const lines: string[] = [];
    const report = progressLines((line) => lines.push(line));
    report(event("a.safetensors", 2, 0, 100 * MiB));
    report(event("b.safetensors", 3, 0, 100 * MiB));
    report(event("a.safetensors", 2, 25 * MiB, 100 * MiB));
    report(event("config.json", 1, 500, 500)); // already cached
    report(event("b.safetensors", 3, 55 * MiB, 100 * MiB));
    report(event("a.safetensors", 2, 100 * MiB, 100 * MiB));
    report(event("b.safetensors", 3, 100 * MiB, 100 * MiB));
    expect(lines).toEqual([
      "org/model [2/3] a.safetensors: downloading 100.0 MiB",
      "org/model [3/3] b.safetensors: downloading 100.0 MiB",
      "org/model [2/3] a.safetensors: 20% of 100.0 MiB",
      "org/model [1/3] config.json: in the cache",
      "org/model [3/3] b.safetensors: 50% of 100.0 MiB",
      "org/model [2/3] a.safetensors: done",
      "org/model [3/3] b.safetensors: done",
    ]);
  });

  it("says where a resumed file starts", () => {
    const lines: string[] = [];
    progressLines((line) => lines.push(line))(event("a.safetensors", 1, 10 * MiB, 100 * MiB));
    expect(lines).toEqual(["org/model [1/3] a.safetensors: downloading 100.0 MiB (resuming at 10.0 MiB)"]);
  });
});
