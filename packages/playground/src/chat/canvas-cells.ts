// Turns the server's canvas frames (`canvas: true` on a diffusing stream) into the cells the canvas
// view draws: each position's text, whether it is still a guess, how sure the model is, and whether
// it was committed by this very step (those fade in).
import type { CanvasFrame } from "@anneal/sdk";

export interface CanvasCell {
  text: string;
  masked: boolean;
  /** 0–1, or undefined where the model has not weighed in yet. */
  confidence: number | undefined;
  /** Committed in this frame: masked (or absent) in the one before. */
  fresh: boolean;
}

export function canvasCells(frame: CanvasFrame, previous: CanvasFrame | undefined): CanvasCell[] {
  return frame.pieces.map((text, index) => {
    const masked = frame.masked[index] ?? true;
    return {
      text,
      masked,
      confidence: frame.confidence[index] ?? undefined,
      fresh: !masked && (previous === undefined || previous.masked[index] !== false),
    };
  });
}

/** How many positions are still masked, and how many in all. */
export function canvasProgress(frame: CanvasFrame): { masked: number; total: number } {
  return { masked: frame.masked.filter(Boolean).length, total: frame.masked.length };
}
