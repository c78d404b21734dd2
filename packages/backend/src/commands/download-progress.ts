// How a Hub download shows while it runs: progress bars on a terminal (cli-progress, one per file,
// as several download at once), or lines — a file's start, each further tenth of a large file, its
// end — for logs and pipes, so the server's log says how far a model's download got.
import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { DownloadProgress } from "../checkpoint/hub-download";

type Reporter = (progress: DownloadProgress) => void;

/** "812 KiB", "21.0 MiB", "4.93 GiB". */
function size(bytes: number): string {
  if (bytes < 2 ** 20) return `${Math.round(bytes / 2 ** 10)} KiB`;
  if (bytes < 2 ** 30) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** Files smaller than this get no in-between lines. */
const LINE_STEPS_FROM = 16 * 2 ** 20;

/** Progress as lines through `write`, one per file start, tenth (large files) and end; files may interleave. */
export function progressLines(write: (line: string) => void): Reporter {
  const tenthsOf = new Map<string, number>(); // per file in progress: the tenths already reported
  return (p) => {
    const where = `${p.repo} [${p.index}/${p.count}] ${p.file}`;
    const key = `${p.repo}\0${p.file}`;
    const tenths = tenthsOf.get(key);
    if (tenths === undefined) {
      if (p.bytes === p.total) return write(`${where}: in the cache`);
      write(`${where}: downloading ${size(p.total)}${p.bytes > 0 ? ` (resuming at ${size(p.bytes)})` : ""}`);
      tenthsOf.set(key, Math.floor((10 * p.bytes) / p.total));
      return;
    }
    const now = Math.floor((10 * p.bytes) / p.total);
    if (p.bytes === p.total) {
      write(`${where}: done`);
      tenthsOf.delete(key);
      return;
    }
    if (now > tenths && p.total >= LINE_STEPS_FROM) write(`${where}: ${now * 10}% of ${size(p.total)}`);
    tenthsOf.set(key, now);
  };
}

/** Progress as bars on `stream` (a terminal), one per file, several at once; `stop` ends them. */
export function progressBar(stream: NodeJS.WriteStream): { report: Reporter; stop: () => void } {
  const bars = new MultiBar(
    {
      stream,
      hideCursor: true,
      barsize: 30,
      format: "[{index}/{count}] {file} {bar} {percentage}% {value} of {total}, eta {eta_formatted}",
      formatValue: (value, _options, type) => (type === "value" || type === "total" ? size(value) : String(value)),
    },
    Presets.shades_classic,
  );
  const byFile = new Map<string, SingleBar>();
  const report: Reporter = (p) => {
    const bar = byFile.get(p.file);
    if (bar) bar.update(p.bytes);
    else byFile.set(p.file, bars.create(p.total, p.bytes, { index: p.index, count: p.count, file: p.file }));
  };
  return { report, stop: () => bars.stop() };
}
