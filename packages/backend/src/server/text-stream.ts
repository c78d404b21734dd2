// Runs a generation and turns its steps into text: append deltas as the answer's committed prefix
// grows, or whole drafts (diffusing), with stop strings applied and the final outcome.
import type { CanvasFrame } from "@anneal/sdk/schema";
import { type GenerateOptions, generate, type StepEvent } from "../engine/generate";
import type { ServedModel } from "./served-model";

export type TextEvent = { kind: "delta"; text: string } | { kind: "draft"; text: string; canvas?: CanvasFrame };

export interface TextOutcome {
  text: string;
  finishReason: "stop" | "length";
  completionTokens: number;
  forwardPasses: number;
  tokensPerForward: number;
}

export interface TextRequest {
  prompt: number[];
  options: GenerateOptions;
  stop: string[];
  /** Emit whole drafts at every step instead of append deltas. */
  diffusing: boolean;
  /** With `diffusing`: a draft at every step, each with the canvas it was read from. */
  canvas?: boolean;
  /** Called after every denoising step, whether or not the text changed (progress for buffered answers). */
  onStep?: () => void;
}

export async function* generateText(
  served: ServedModel,
  request: TextRequest,
): AsyncGenerator<TextEvent, TextOutcome, undefined> {
  const { tokenizer, architecture } = served.checkpoint;
  const stopIds = new Set(request.options.stopIds ?? architecture.stopIds);
  // A laid-out answer's padding is not text.
  const pad = request.options.constraint?.pad;
  const decode = (tokens: ArrayLike<number>) => {
    const ids: number[] = [];
    for (const t of Array.from(tokens)) {
      if (stopIds.has(t)) break;
      if (t !== architecture.maskId && t !== pad) ids.push(t);
    }
    return tokenizer.decode(ids);
  };
  const pieceOf = piecesOf(served, pad);
  const run = generate(served.engine, request.prompt, { ...request.options, drafts: request.diffusing });
  let emitted = "";
  let lastDraft = "";
  let next = await run.next();
  while (!next.done) {
    const step = next.value;
    request.onStep?.();
    if (request.diffusing) {
      const draft = cutAtStop(decode(step.draft), request.stop).text;
      if (request.canvas) {
        lastDraft = draft;
        yield { kind: "draft", text: draft, canvas: canvasFrame(step, stopIds, pieceOf) };
      } else if (draft !== lastDraft) {
        lastDraft = draft;
        yield { kind: "draft", text: draft };
      }
    } else {
      // The committed prefix: answer positions committed contiguously from the start.
      let prefix = 0;
      while (prefix < step.masked.length && step.masked[prefix] === 0) prefix++;
      const { text, stopped } = cutAtStop(decode(step.draft.subarray(0, prefix)), request.stop);
      const settled = stopped || prefix === step.masked.length ? text : holdBack(text, request.stop);
      if (settled.length > emitted.length && settled.startsWith(emitted)) {
        yield { kind: "delta", text: settled.slice(emitted.length) };
        emitted = settled;
      }
    }
    next = await run.next();
  }
  const result = next.value;
  const { text, stopped } = cutAtStop(tokenizer.decode(result.tokens), request.stop);
  if (!request.diffusing && text.length > emitted.length && text.startsWith(emitted)) {
    yield { kind: "delta", text: text.slice(emitted.length) };
  }
  if (request.diffusing && text !== lastDraft) yield { kind: "draft", text };
  const completionTokens = stopped ? tokenizer.encode(text).length : result.tokens.length;
  return {
    text,
    finishReason: stopped || result.finishReason === "stop" ? "stop" : "length",
    completionTokens,
    forwardPasses: result.forwardPasses,
    // The answer's tokens per pass (not the canvas positions committed, which include padding after EOS).
    tokensPerForward: result.forwardPasses > 0 ? completionTokens / result.forwardPasses : 0,
  };
}

/** Each token's own text (cached: a frame asks for every position at every step); "" for the mask and padding. */
function piecesOf(served: ServedModel, pad: number | undefined): (token: number) => string {
  const { tokenizer, architecture } = served.checkpoint;
  const cache = new Map<number, string>();
  return (token) => {
    if (token === architecture.maskId || token === pad) return "";
    let piece = cache.get(token);
    if (piece === undefined) {
      piece = tokenizer.decode([token]);
      cache.set(token, piece);
    }
    return piece;
  };
}

/** The answer's canvas at one step, up to the first committed stop token (what follows is padding). */
function canvasFrame(step: StepEvent, stopIds: ReadonlySet<number>, pieceOf: (token: number) => string): CanvasFrame {
  let end = 0;
  while (end < step.draft.length && !(step.masked[end] === 0 && stopIds.has(step.draft[end] as number))) end++;
  const frame: CanvasFrame = { pieces: [], masked: [], confidence: [] };
  for (let i = 0; i < end; i++) {
    const token = step.draft[i] as number;
    const confidence = step.confidence?.[i] ?? Number.NaN;
    frame.pieces.push(stopIds.has(token) ? "" : pieceOf(token));
    frame.masked.push(step.masked[i] === 1);
    frame.confidence.push(Number.isNaN(confidence) ? null : Math.round(confidence * 1000) / 1000);
  }
  return frame;
}

/** The text before the first stop string, and whether one was found. */
export function cutAtStop(text: string, stops: string[]): { text: string; stopped: boolean } {
  let cut = text.length;
  for (const stop of stops) {
    const at = stop ? text.indexOf(stop) : -1;
    if (at >= 0 && at < cut) cut = at;
  }
  return { text: text.slice(0, cut), stopped: cut < text.length };
}

/**
 * Text safe to send before the answer is final: without a trailing replacement character (a
 * multi-byte character split across tokens) or a tail that could still grow into a stop string.
 */
function holdBack(text: string, stops: string[]): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === "\uFFFD") end--;
  for (const stop of stops) {
    for (let keep = Math.min(stop.length - 1, end); keep > 0; keep--) {
      if (stop.startsWith(text.slice(end - keep, end))) {
        end -= keep;
        break;
      }
    }
  }
  return text.slice(0, end);
}
