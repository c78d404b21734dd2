// The status line under the chat: model, settings, and the conversation's numbers.
import { Text } from "ink";
import type { ChatSession } from "../chat-session";

export function Footer({ session, busy }: { session: ChatSession; busy: boolean }) {
  const s = session.stats;
  const rate = s.seconds > 0 ? `${(s.tokens / s.seconds).toFixed(0)} tok/s` : "- tok/s";
  const parts = [
    session.model,
    `effort ${session.effort ?? "default"}`,
    `diffusing ${session.diffusing ? "on" : "off"}`,
    `${s.tokens} tokens`,
    rate,
    `${s.forwardPasses} forward passes`,
  ];
  return (
    <Text dimColor wrap="truncate-end">
      {busy ? "● " : "  "}
      {parts.join(" · ")}
    </Text>
  );
}
