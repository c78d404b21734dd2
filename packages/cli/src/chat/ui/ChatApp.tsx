// The interactive chat: finished messages in <Static> (printed once, never redrawn), a small live
// area for the answer being written (diffusing drafts with unsettled text dimmed), the input and a footer.
import { Box, Static, Text, useApp, useInput, useStdout } from "ink";
import { useRef, useState } from "react";
import { describeFailure } from "../../exit-codes";
import { renderMarkdown } from "../../render/markdown";
import type { ChatSession } from "../chat-session";
import type { SessionStore } from "../session-store";
import { runSlash } from "../slash";
import { type ChatClient, type LiveAnswer, runTurn } from "../turn";
import { Footer } from "./Footer";

interface Entry {
  id: number;
  kind: "user" | "assistant" | "notice" | "error";
  text: string;
}

export interface ChatAppProps {
  client: ChatClient;
  session: ChatSession;
  store: SessionStore;
  /** Shown once at the top. */
  banner?: string;
}

/** Live updates are drawn at most this often, so fast streams do not make the terminal flicker. */
const FRAME_MS = 40;

export function ChatApp({ client, session: initial, store, banner }: ChatAppProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [session, setSession] = useState(initial);
  const [entries, setEntries] = useState<Entry[]>(banner ? [{ id: 0, kind: "notice", text: banner }] : []);
  const [input, setInput] = useState("");
  const [live, setLive] = useState<LiveAnswer | undefined>();
  const [busy, setBusy] = useState<AbortController | undefined>();
  const past = useRef<string[]>(session.turns.filter((t) => t.role === "user").map((t) => t.content));
  const browsing = useRef(-1);
  const nextId = useRef(1);
  const pendingFrame = useRef<LiveAnswer | undefined>(undefined);
  const frameTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const add = (kind: Entry["kind"], text: string) =>
    setEntries((list) => [...list, { id: nextId.current++, kind, text }]);

  const drawLive = (answer: LiveAnswer) => {
    pendingFrame.current = answer;
    frameTimer.current ??= setTimeout(() => {
      frameTimer.current = undefined;
      setLive(pendingFrame.current);
    }, FRAME_MS);
  };

  const send = (prompt: string) => {
    const controller = new AbortController();
    setBusy(controller);
    add("user", prompt);
    past.current.push(prompt);
    runTurn(client, session, prompt, controller.signal, drawLive)
      // Finished answers are printed once, as rendered Markdown with highlighted code.
      .then((result) =>
        add("assistant", result.content ? renderMarkdown(result.content, stdout.columns || 80) : "(empty answer)"),
      )
      .catch((error: unknown) => {
        if (controller.signal.aborted) {
          add("notice", "cancelled");
          return;
        }
        add("error", describeFailure(error).message);
      })
      .finally(() => {
        clearTimeout(frameTimer.current);
        frameTimer.current = undefined;
        setLive(undefined);
        setBusy(undefined);
      });
  };

  const submit = () => {
    const text = input.trim();
    if (!text) return;
    setInput("");
    browsing.current = -1;
    if (text.startsWith("/")) {
      const result = runSlash(text, { session, store });
      if (result.session) setSession(result.session);
      if (result.notice) add("notice", result.notice);
      if (result.exit) exit();
      return;
    }
    send(text);
  };

  useInput((char, key) => {
    if (key.ctrl && char === "c") {
      // Ctrl+C: cancel the answer, else clear the input, else leave.
      if (busy) busy.abort();
      else if (input) setInput("");
      else exit();
      return;
    }
    if (key.ctrl && char === "d") {
      if (!input && !busy) exit();
      return;
    }
    if (key.escape) {
      if (busy) {
        busy.abort();
        setInput(past.current.at(-1) ?? ""); // Esc keeps what was typed
      }
      return;
    }
    if (busy) return;
    if (key.return) {
      if (key.meta) setInput((text) => `${text}\n`);
      else submit();
      return;
    }
    if (key.upArrow || key.downArrow) {
      const history = past.current;
      if (history.length === 0) return;
      const from = browsing.current < 0 ? history.length : browsing.current;
      const to = Math.max(0, Math.min(history.length, from + (key.upArrow ? -1 : 1)));
      browsing.current = to === history.length ? -1 : to;
      setInput(history[to] ?? "");
      return;
    }
    if (key.backspace || key.delete) {
      setInput((text) => text.slice(0, -1));
      return;
    }
    // Typed characters and pasted text (which may hold newlines) go in as they are.
    if (char && !key.ctrl && !key.meta) setInput((text) => text + char.replace(/\r\n?/g, "\n"));
  });

  return (
    <Box flexDirection="column">
      <Static items={entries}>
        {(entry) => (
          <Box key={entry.id} marginBottom={entry.kind === "assistant" ? 1 : 0}>
            <Text
              color={entry.kind === "user" ? "cyan" : entry.kind === "error" ? "red" : undefined}
              dimColor={entry.kind === "notice"}
            >
              {entry.kind === "user" ? `› ${entry.text}` : entry.text}
            </Text>
          </Box>
        )}
      </Static>
      {live && session.diffusing && (
        <Text>
          {withOffsets(live.segments).map(({ segment, offset }) => (
            <Text key={offset} dimColor={!segment.settled}>
              {segment.text}
            </Text>
          ))}
        </Text>
      )}
      {live && !session.diffusing && (
        <Text>{renderMarkdown(live.segments.map((s) => s.text).join(""), stdout.columns || 80)}</Text>
      )}
      {!busy && (
        <Text>
          <Text color="cyan">› </Text>
          {input}
          <Text inverse> </Text>
        </Text>
      )}
      <Footer session={session} busy={busy !== undefined} />
    </Box>
  );
}

/** Each segment with the position where it starts in the draft (a stable key). */
function withOffsets(segments: LiveAnswer["segments"]) {
  let offset = 0;
  return segments.map((segment) => {
    const start = offset;
    offset += segment.text.length;
    return { segment, offset: start };
  });
}
