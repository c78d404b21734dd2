// The loss curve of a training run as a small standalone SVG (training loss, smoothed, and held-out
// accuracy), for the model card.
import type { TrainingState } from "./export";

const WIDTH = 640;
const HEIGHT = 320;
const MARGIN = { left: 56, right: 56, top: 24, bottom: 40 };

/** `step` is the x axis; a caller may put any monotone measure there (e.g. millions of tokens) and name it. */
export function lossCurveSvg(history: TrainingState["history"], title: string, xLabel = "step"): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  history = history.filter((h) => Number.isFinite(h.loss) || h.heldOutAccuracy !== undefined);
  const steps = history.map((h) => h.step);
  const maxStep = Math.max(1, ...steps);
  const smoothed = movingAverage(
    history.map((h) => h.loss),
    25,
  );
  const maxLoss = Math.max(...smoothed) * 1.05;
  const x = (step: number) => MARGIN.left + (step / maxStep) * plotWidth;
  const yLoss = (loss: number) => MARGIN.top + plotHeight - (loss / maxLoss) * plotHeight;
  const yAcc = (acc: number) => MARGIN.top + plotHeight - acc * plotHeight;
  const lossPath = smoothed.map((loss, i) => `${x(steps[i] as number).toFixed(1)},${yLoss(loss).toFixed(1)}`).join(" ");
  const accuracy = history.filter((h) => h.heldOutAccuracy !== undefined);
  const accPath = accuracy
    .map((h) => `${x(h.step).toFixed(1)},${yAcc(h.heldOutAccuracy as number).toFixed(1)}`)
    .join(" ");
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="15" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
    ...ticks.map((t) => {
      const y = MARGIN.top + plotHeight - t * plotHeight;
      return `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end" fill="#1f77b4">${(t * maxLoss).toFixed(1)}</text><text x="${MARGIN.left + plotWidth + 6}" y="${y + 4}" fill="#d62728">${(t * 100).toFixed(0)}%</text>`;
    }),
    ...ticks.map(
      (t) => `<text x="${x(t * maxStep)}" y="${HEIGHT - 22}" text-anchor="middle">${Math.round(t * maxStep)}</text>`,
    ),
    `<text x="${WIDTH / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${lossPath}"/>`,
    accPath ? `<polyline fill="none" stroke="#d62728" stroke-width="1.5" points="${accPath}"/>` : "",
    `<text x="${MARGIN.left + 8}" y="${MARGIN.top + 14}" fill="#1f77b4">training loss (moving average of 25 steps)</text>`,
    `<text x="${MARGIN.left + 8}" y="${MARGIN.top + 28}" fill="#d62728">held-out masked-token accuracy</text>`,
    "</svg>",
  ];
  return `${lines.filter(Boolean).join("\n")}\n`;
}

function movingAverage(values: number[], window: number): number[] {
  return values.map((_, i) => {
    const slice = values.slice(Math.max(0, i - window + 1), i + 1);
    return slice.reduce((a, b) => a + b, 0) / slice.length;
  });
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
}
