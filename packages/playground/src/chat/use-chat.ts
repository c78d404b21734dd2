// The conversation and its one request in flight: send, stop (aborts the HTTP request, which stops the
// generation on the server), regenerate the last answer. Diffusing streams replace the draft on every
// chunk; plain streams append.
import type { CanvasFrame, ChatMessage, Mercury, Usage } from "@anneal/sdk";
import { useRef, useState } from "preact/hooks";
import { errorText } from "../api/error-text";
import { type AnswerStats, type AnswerTiming, answerStats } from "./answer-stats";
import { type ChatSettings, requestFields } from "./chat-settings";

export type TurnStatus = "streaming" | "done" | "stopped" | "error";

export interface Turn {
  id: number;
  role: "user" | "assistant";
  content: string;
  status: TurnStatus;
  /** The latest canvas frame and the one before it (which positions just committed). */
  canvas?: CanvasFrame | undefined;
  previousCanvas?: CanvasFrame | undefined;
  /** Canvas frames received: how many denoising steps the viewer saw. */
  frames: number;
  stats?: AnswerStats | undefined;
  finishReason?: string | null | undefined;
  error?: string | undefined;
}

export interface Chat {
  turns: Turn[];
  busy: boolean;
  send(text: string): void;
  stop(): void;
  regenerate(): void;
  clear(): void;
}

let nextId = 1;

export function useChat(client: Mercury, model: string | undefined, settings: ChatSettings): Chat {
  const [turns, setTurns] = useState<Turn[]>([]);
  const [busy, setBusy] = useState(false);
  const inFlight = useRef<AbortController | undefined>(undefined);

  const run = async (history: Turn[]) => {
    if (!model || inFlight.current) return;
    const answer: Turn = { id: nextId++, role: "assistant", content: "", status: "streaming", frames: 0 };
    const update = (change: Partial<Turn>) =>
      setTurns((all) => all.map((turn) => (turn.id === answer.id ? { ...turn, ...change } : turn)));
    setTurns([...history, answer]);
    setBusy(true);
    const controller = new AbortController();
    inFlight.current = controller;
    const timing: AnswerTiming = { sentAt: performance.now() };
    let usage: Usage | undefined;
    let content = "";
    let canvas: CanvasFrame | undefined;
    let frames = 0;
    let finishReason: string | null | undefined;
    try {
      const fields = requestFields(settings);
      const stream = await client.chat.completions.create(
        { model, messages: messagesOf(settings.systemPrompt, history), ...fields },
        { signal: controller.signal },
      );
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        const text = choice?.delta.content;
        if (typeof text === "string") content = fields.diffusing ? text : content + text;
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
        const previousCanvas = canvas;
        if (chunk.canvas) {
          canvas = chunk.canvas;
          frames += 1;
        }
        if (timing.firstTextAt === undefined && (text || chunk.canvas)) timing.firstTextAt = performance.now();
        update({ content, finishReason, ...(chunk.canvas ? { canvas, previousCanvas, frames } : {}) });
      }
      timing.endedAt = performance.now();
      update({ status: "done", stats: answerStats(timing, usage) });
    } catch (error) {
      timing.endedAt = performance.now();
      if (controller.signal.aborted) update({ status: "stopped", stats: answerStats(timing, usage) });
      else update({ status: "error", error: errorText(error) });
    } finally {
      inFlight.current = undefined;
      setBusy(false);
    }
  };

  return {
    turns,
    busy,
    send(text) {
      if (!text.trim() || inFlight.current) return;
      void run([...turns, { id: nextId++, role: "user", content: text, status: "done", frames: 0 }]);
    },
    stop() {
      inFlight.current?.abort();
    },
    regenerate() {
      const lastUser = turns.map((turn) => turn.role).lastIndexOf("user");
      if (lastUser >= 0) void run(turns.slice(0, lastUser + 1));
    },
    clear() {
      inFlight.current?.abort();
      setTurns([]);
    },
  };
}

/** The request's messages: the system prompt, then every user turn and every answer that finished. */
function messagesOf(systemPrompt: string, history: Turn[]): ChatMessage[] {
  const messages: ChatMessage[] = systemPrompt.trim() ? [{ role: "system", content: systemPrompt }] : [];
  for (const turn of history) {
    if (turn.role === "user") messages.push({ role: "user", content: turn.content });
    else if (turn.status === "done" && turn.content) messages.push({ role: "assistant", content: turn.content });
  }
  return messages;
}
