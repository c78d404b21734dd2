// The page: header (model picker, tabs, API key), the chat and code tabs, and the server's stats.
import { type Model, ServiceUnavailableError } from "@anneal/sdk";
import { useEffect, useMemo, useState } from "preact/hooks";
import { connect, savedKey, saveKey } from "./api/connection";
import { errorText, isAuthError } from "./api/error-text";
import { ChatPanel } from "./chat/chat-panel";
import { CodePanel } from "./code/code-panel";
import { KeyForm } from "./key-form";
import { StatsPanel } from "./stats/stats-panel";

type Tab = "chat" | "code";

export function App() {
  const [apiKey, setApiKey] = useState(savedKey());
  const [keyFormOpen, setKeyFormOpen] = useState(false);
  const client = useMemo(() => connect(apiKey), [apiKey]);
  const [models, setModels] = useState<Model[]>([]);
  const [modelId, setModelId] = useState<string | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [tab, setTab] = useState<Tab>("chat");
  // Bumped to ask for the models again (the server answers 503 while they load).
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    client.models
      .list({ signal: controller.signal })
      .then((list) => {
        setModels(list.data);
        setModelId((current) => (list.data.some((model) => model.id === current) ? current : list.data[0]?.id));
        setProblem(undefined);
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        setProblem(errorText(error));
        if (isAuthError(error)) setKeyFormOpen(true);
        if (error instanceof ServiceUnavailableError) setTimeout(() => setAttempt((n) => n + 1), 1000);
      });
    return () => controller.abort();
  }, [client, attempt]);

  const model = models.find((entry) => entry.id === modelId);
  return (
    <div class="app">
      <header>
        <h1>Anneal</h1>
        <div class="tabs" role="tablist">
          {(["chat", "code"] as const).map((name) => (
            <button
              key={name}
              type="button"
              role="tab"
              name={`tab-${name}`}
              aria-selected={tab === name}
              onClick={() => setTab(name)}
            >
              {name === "chat" ? "Chat" : "Code"}
            </button>
          ))}
        </div>
        <label class="model-picker">
          Model
          <select name="model" value={modelId} onChange={(event) => setModelId(event.currentTarget.value)}>
            {models.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.id}
              </option>
            ))}
          </select>
        </label>
        <KeyForm
          apiKey={apiKey}
          open={keyFormOpen}
          onToggle={setKeyFormOpen}
          onSave={(key) => {
            saveKey(key);
            setApiKey(key);
            setKeyFormOpen(false);
          }}
        />
      </header>
      <main>
        {problem ? (
          <div class="error banner" role="alert">
            {problem}
          </div>
        ) : null}
        {/* Both tabs stay mounted, so switching keeps the conversation and the code. */}
        <div hidden={tab !== "chat"}>
          <ChatPanel client={client} model={modelId} maxTokens={model?.max_output_length} />
        </div>
        <div hidden={tab !== "code"}>
          <CodePanel client={client} model={modelId} />
        </div>
      </main>
      <StatsPanel apiKey={apiKey} />
    </div>
  );
}
