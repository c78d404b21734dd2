// The interactive chat: finished messages in <Static> (printed once, never redrawn), a small live
// area for the answer being written (diffusing drafts with unsettled text dimmed), the input and a footer.
import { Box, Static, Text, useApp, useInput, useStdout } from "ink";
import { useRef, useState } from "react";
import { describeFailure } from "../../exit-codes";
import { renderMarkdown } from "../../render/markdown";
import { tailStart } from "../../render/terminal-rows";
import type { ChatSession } from "../chat-session";
import { useRedrawOnResize } from "../redraw-on-resize";
import type { SessionStore } from "../session-store";
import { isSlashCommand, runSlash } from "../slash";
import { type ChatClient, type LiveAnswer, runTurn } from "../turn";
import { splitBurst, splitCommand } from "../typed-input";
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
  /** The model ids the API serves, for /model to check a name. */
  listModels?: () => Promise<string[]>;
}

/** Live updates are drawn at most this often, so fast streams do not make the terminal flicker. */
const FRAME_MS = 40;

export function ChatApp({ client, session: initial, store, banner, listModels }: ChatAppProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [session, setSession] = useState(initial);
  const [entries, setEntries] = useState<Entry[]>(banner ? [{ id: 0, kind: "notice", text: banner }] : []);
  const [input, setInputState] = useState("");
  // Keys can arrive faster than renders: the line is kept in a ref too, so each key sees the last one.
  const inputRef = useRef("");
  const setInput = (next: string | ((text: string) => string)) => {
    inputRef.current = typeof next === "function" ? next(inputRef.current) : next;
    setInputState(inputRef.current);
  };
  const [live, setLive] = useState<LiveAnswer | undefined>();
  const [busy, setBusyState] = useState<AbortController | undefined>();
  const busyRef = useRef<AbortController | undefined>(undefined);
  const setBusy = (controller: AbortController | undefined) => {
    busyRef.current = controller;
    setBusyState(controller);
  };
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

  /** Sends a finished text: a known slash command runs, anything else (lines after it too) is a message. */
  const submit = async (text: string) => {
    const { command, message } = splitCommand(text.trim(), isSlashCommand);
    browsing.current = -1;
    if (command) {
      const result = await runSlash(command, { session, store, ...(listModels ? { listModels } : {}) });
      if (result.session) setSession(result.session);
      if (result.notice) add("notice", result.notice);
      if (result.exit) {
        exit();
        return;
      }
    }
    if (message) send(message);
  };

  useInput((char, key) => {
    const busy = busyRef.current;
    if (key.ctrl && char === "c") {
      // Ctrl+C: cancel the answer, else clear the input, else leave.
      if (busy) busy.abort();
      else if (inputRef.current) setInput("");
      else exit();
      return;
    }
    if (key.ctrl && char === "d") {
      if (!inputRef.current && !busy) exit();
      return;
    }
    if (key.ctrl && char === "u") {
      setInput(""); // clear the line, as shells do
      return;
    }
    if (key.escape) {
      if (busy) {
        busy.abort();
        if (!inputRef.current) setInput(past.current.at(-1) ?? ""); // Esc keeps what was typed
      }
      return;
    }
    if (key.return) {
      if (key.meta) setInput((text) => `${text}\n`);
      else if (!busy && inputRef.current.trim()) {
        const text = inputRef.current;
        setInput("");
        void submit(text);
      }
      return;
    }
    if (key.upArrow || key.downArrow) {
      if (busy) return;
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
    if (!char || key.ctrl || key.meta) return;
    // Typed characters, and pasted text with its own line breaks: what ends in a line break is sent
    // (when no answer is being written), the rest stays in the line. Typing goes on during an answer.
    const { send: complete, keep } = splitBurst(inputRef.current, char);
    if (complete !== undefined && !busy && complete.trim()) {
      setInput(keep);
      void submit(complete);
    } else setInput(complete !== undefined ? `${complete}\n${keep}` : keep);
  });

  const redraws = useRedrawOnResize(stdout);
  const columns = stdout.columns || 80;
  // The live answer may use the window but for the input line, the footer and a spare row.
  const liveRows = Math.max(3, (stdout.rows || 24) - 4);

  return (
    <Box flexDirection="column">
      <Static key={redraws} items={entries}>
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
      {live && (
        <Text>
          {visibleTail(live.segments, columns, liveRows).map(({ segment, offset }) => (
            <Text key={offset} dimColor={session.diffusing && !segment.settled}>
              {segment.text}
            </Text>
          ))}
        </Text>
      )}
      <Text>
        <Text color={busy ? "gray" : "cyan"}>› </Text>
        {input}
        {!busy && <Text inverse> </Text>}
      </Text>
      <Footer session={session} live={live} busy={busy !== undefined} />
    </Box>
  );
}

/**
 * The segments of the live answer that fit in `rows` rows (its last lines), each with the position
 * where it starts in the whole answer (a stable key). The finished answer is printed whole.
 */
function visibleTail(segments: LiveAnswer["segments"], columns: number, rows: number) {
  const text = segments.map((s) => s.text).join("");
  const start = tailStart(text, columns, rows);
  const visible: { segment: LiveAnswer["segments"][number]; offset: number }[] = [];
  let offset = 0;
  for (const segment of segments) {
    const end = offset + segment.text.length;
    if (end > start) {
      const from = Math.max(0, start - offset);
      visible.push({ segment: { ...segment, text: segment.text.slice(from) }, offset: offset + from });
    }
    offset = end;
  }
  return visible;
}
