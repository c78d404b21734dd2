// The status line under the chat: model and settings, then live figures while an answer is being
// written (time, steps or chunks, characters) and the conversation's totals otherwise.
import { Text } from "ink";
import type { ChatSession } from "../chat-session";
import type { LiveAnswer } from "../turn";

export function Footer({
  session,
  live,
  busy,
}: {
  session: ChatSession;
  live?: LiveAnswer | undefined;
  busy: boolean;
}) {
  const settings = [
    session.model,
    `effort ${session.effort ?? "default"}`,
    `diffusing ${session.diffusing ? "on" : "off"}`,
  ];
  return (
    <Text dimColor wrap="truncate-end">
      {busy ? "● " : "  "}
      {[...settings, ...(busy ? liveFigures(session, live) : totals(session))].join(" · ")}
    </Text>
  );
}

function liveFigures(session: ChatSession, live: LiveAnswer | undefined): string[] {
  if (!live) return ["waiting for the first token"];
  const seconds = (performance.now() - live.startedAt) / 1000;
  const chars = live.segments.reduce((sum, s) => sum + s.text.length, 0);
  return [`${seconds.toFixed(1)} s`, `${live.updates} ${session.diffusing ? "steps" : "chunks"}`, `${chars} chars`];
}

function totals(session: ChatSession): string[] {
  const s = session.stats;
  const rate = s.seconds > 0 ? `${(s.tokens / s.seconds).toFixed(0)} tok/s` : "- tok/s";
  return [`${s.tokens} tokens`, rate, `${s.forwardPasses} forward passes`];
}
