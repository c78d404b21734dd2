// How a Hub download shows while it runs: a progress bar on a terminal (cli-progress), or lines — a
// file's start, each further tenth of a large file, its end — for logs and pipes, so the server's
// log says how far a model's download got.
import { Presets, SingleBar } from "cli-progress";
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

/** Progress as lines through `write`, one per file start, tenth (large files) and end. */
export function progressLines(write: (line: string) => void): Reporter {
  let file = "";
  let tenths = 0;
  return (p) => {
    const where = `${p.repo} [${p.index}/${p.count}] ${p.file}`;
    if (p.file !== file) {
      file = p.file;
      tenths = 0;
      if (p.bytes === p.total) return write(`${where}: in the cache`);
      write(`${where}: downloading ${size(p.total)}${p.bytes > 0 ? ` (resuming at ${size(p.bytes)})` : ""}`);
      tenths = Math.floor((10 * p.bytes) / p.total);
      return;
    }
    const now = Math.floor((10 * p.bytes) / p.total);
    if (p.bytes === p.total) write(`${where}: done`);
    else if (now > tenths && p.total >= LINE_STEPS_FROM) write(`${where}: ${now * 10}% of ${size(p.total)}`);
    tenths = now;
  };
}

/** Progress as a bar on `stream` (a terminal), one per file; `stop` ends the last. */
export function progressBar(stream: NodeJS.WriteStream): { report: Reporter; stop: () => void } {
  let bar: SingleBar | undefined;
  let file = "";
  const report: Reporter = (p) => {
    if (p.file !== file) {
      bar?.stop();
      file = p.file;
      bar = new SingleBar(
        {
          stream,
          hideCursor: true,
          barsize: 30,
          format: `[${p.index}/${p.count}] ${p.file} {bar} {percentage}% {value} of {total}, eta {eta_formatted}`,
          formatValue: (value, _options, type) => (type === "value" || type === "total" ? size(value) : String(value)),
        },
        Presets.shades_classic,
      );
      bar.start(p.total, p.bytes);
      return;
    }
    bar?.update(p.bytes);
  };
  return { report, stop: () => bar?.stop() };
}
