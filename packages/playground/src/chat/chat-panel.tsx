// The chat tab: the conversation, the composer (send / stop / regenerate / clear) and the settings.
import type { Mercury } from "@anneal/sdk";
import { useEffect, useRef, useState } from "preact/hooks";
import { type ChatSettings, DEFAULT_CHAT_SETTINGS } from "./chat-settings";
import { MessageView } from "./message-view";
import { SettingsForm } from "./settings-form";
import { useChat } from "./use-chat";

export function ChatPanel(props: { client: Mercury; model: string | undefined; maxTokens?: number | undefined }) {
  const [settings, setSettings] = useState<ChatSettings>(DEFAULT_CHAT_SETTINGS);
  const chat = useChat(props.client, props.model, settings);
  const [draft, setDraft] = useState("");
  const end = useRef<HTMLDivElement>(null);
  const last = chat.turns[chat.turns.length - 1];
  useEffect(() => end.current?.scrollIntoView({ block: "end" }), [chat.turns.length, last?.content, last?.frames]);

  const send = () => {
    if (chat.busy || !draft.trim()) return;
    chat.send(draft);
    setDraft("");
  };
  return (
    <section class="chat" aria-label="Chat">
      <SettingsForm settings={settings} onChange={setSettings} maxTokens={props.maxTokens} />
      <div class="conversation">
        {chat.turns.length === 0 ? (
          <p class="hint">Ask something. With the live canvas on, you see every position of the answer denoise.</p>
        ) : null}
        {chat.turns.map((turn) => (
          <MessageView key={turn.id} turn={turn} shade={settings.shadeByConfidence} />
        ))}
        <div ref={end} />
      </div>
      <form
        class="composer"
        onSubmit={(event) => {
          event.preventDefault();
          send();
        }}
      >
        <textarea
          name="prompt"
          rows={3}
          placeholder="Message (Enter sends, Shift+Enter for a new line)"
          value={draft}
          onInput={(event) => setDraft(event.currentTarget.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
              event.preventDefault();
              send();
            }
          }}
        />
        <div class="buttons">
          {chat.busy ? (
            <button type="button" name="stop" class="danger" onClick={chat.stop}>
              Stop
            </button>
          ) : (
            <button type="submit" name="send" disabled={!props.model || !draft.trim()}>
              Send
            </button>
          )}
          <button
            type="button"
            name="regenerate"
            disabled={chat.busy || chat.turns.length === 0}
            onClick={chat.regenerate}
          >
            Regenerate
          </button>
          <button type="button" name="clear" disabled={chat.turns.length === 0} onClick={chat.clear}>
            Clear
          </button>
        </div>
      </form>
    </section>
  );
}
