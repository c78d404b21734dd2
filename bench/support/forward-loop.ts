// Child process for bench/engine.ts: loads the checkpoint in argv[2] with argv[3] threads and runs
// full-canvas forward passes for argv[4] ms; prints the median ms per forward. Several run at once
// to measure an oversubscribed machine.
import { loadCheckpoint } from "../../packages/backend/src/index";

const [dir, threads, ms] = process.argv.slice(2);
const { model } = await loadCheckpoint(dir as string, { threads: Number(threads) });
const canvas = 288;
const tokens = Int32Array.from({ length: canvas }, (_, i) => (i * 37) % 8192);
const statRows = Int32Array.from({ length: 32 }, (_, i) => 32 + i);
const times: number[] = [];
const started = performance.now();
while (performance.now() - started < Number(ms)) {
  const t = performance.now();
  await model.forward([{ tokens, statRows }]);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
process.stdout.write(String(times[Math.floor(times.length / 2)] ?? 0));
