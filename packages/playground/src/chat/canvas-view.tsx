// The canvas as it denoises: one cell per answer position. Masked positions show the model's current
// guess faintly inside a placeholder; committed ones fade in; optionally each is tinted by confidence.
import type { CanvasFrame } from "@anneal/sdk";
import { canvasCells, canvasProgress } from "./canvas-cells";

export function CanvasView(props: { frame: CanvasFrame; previous?: CanvasFrame | undefined; shade: boolean }) {
  const cells = canvasCells(props.frame, props.previous);
  const { masked, total } = canvasProgress(props.frame);
  return (
    <div class="canvas" data-masked={masked} data-total={total}>
      <div class="canvas-progress">
        {total - masked} / {total} committed
      </div>
      <div class={props.shade ? "canvas-cells shaded" : "canvas-cells"}>
        {cells.map((cell, index) => (
          <span
            // A new key when a position commits, so its element mounts afresh and the fade-in runs.
            key={`${index}:${cell.masked ? "m" : "c"}`}
            class={`cell${cell.masked ? " masked" : ""}${cell.fresh ? " fresh" : ""}`}
            style={cell.confidence === undefined ? undefined : { "--confidence": String(cell.confidence) }}
            title={cell.confidence === undefined ? "not yet weighed" : `p = ${cell.confidence.toFixed(3)}`}
          >
            {cell.text === "" ? "\u00a0" : cell.text}
          </span>
        ))}
      </div>
    </div>
  );
}
