// The code tab: one editor shared by three tools — fill in the middle at the caret, next edit near
// the caret, apply an update snippet — each proposing a change shown as a diff to accept or discard.
import { EXISTING_CODE_MARKER, type Mercury } from "@anneal/sdk";
import { useRef, useState } from "preact/hooks";
import { applyUpdate, type CodeRequest, fillAtCaret, nextEdit } from "./code-actions";
import { type Proposal, ProposalView } from "./proposal";
import { usePanelRequest } from "./use-request";

type Tool = "fim" | "next-edit" | "apply";

const TOOLS: { id: Tool; label: string; action: string }[] = [
  { id: "fim", label: "Fill in the middle", action: "Fill at caret" },
  { id: "next-edit", label: "Next edit", action: "Suggest next edit" },
  { id: "apply", label: "Apply edit", action: "Apply snippet" },
];

const SAMPLE_CODE = `def mean(values):
    total = 0
    for value in values:
        total += value
    return 

print(mean([1, 2, 3]))
`;

export function CodePanel(props: { client: Mercury; model: string | undefined }) {
  const [tool, setTool] = useState<Tool>("fim");
  const [code, setCode] = useState(SAMPLE_CODE);
  const [path, setPath] = useState("stats.py");
  const [snippet, setSnippet] = useState(`${EXISTING_CODE_MARKER}\n`);
  const [maxTokens, setMaxTokens] = useState(64);
  const [json, setJson] = useState(false);
  const [proposal, setProposal] = useState<Proposal | undefined>(undefined);
  const caret = useRef(SAMPLE_CODE.indexOf("return ") + "return ".length);
  const editor = useRef<HTMLTextAreaElement>(null);
  const request = usePanelRequest();
  const current = TOOLS.find((entry) => entry.id === tool) as (typeof TOOLS)[number];

  const propose = () =>
    request.run(async (signal) => {
      if (!props.model) return;
      const base: CodeRequest = {
        client: props.client,
        model: props.model,
        code,
        caret: caret.current,
        maxTokens,
        signal,
      };
      setProposal(
        tool === "fim"
          ? await fillAtCaret({ ...base, json })
          : tool === "next-edit"
            ? await nextEdit({ ...base, path })
            : await applyUpdate({ ...base, snippet }),
      );
    });
  const accept = () => {
    if (!proposal) return;
    setCode(proposal.after);
    if (proposal.caret !== undefined) caret.current = proposal.caret;
    setProposal(undefined);
    queueMicrotask(() => editor.current?.setSelectionRange(caret.current, caret.current));
  };
  const trackCaret = (event: Event) => {
    caret.current = (event.currentTarget as HTMLTextAreaElement).selectionStart;
  };

  return (
    <section class="code" aria-label="Code">
      <div class="tool-tabs" role="tablist">
        {TOOLS.map((entry) => (
          <button
            key={entry.id}
            type="button"
            role="tab"
            name={`tool-${entry.id}`}
            aria-selected={tool === entry.id}
            onClick={() => {
              setTool(entry.id);
              setProposal(undefined);
            }}
          >
            {entry.label}
          </button>
        ))}
      </div>
      <div class="code-options">
        {tool === "fim" ? (
          <label title="The code is a JSON document: the infill keeps it one (the caret where a value or member goes, or inside a string)">
            <input
              name="fim-json"
              type="checkbox"
              checked={json}
              onChange={(event) => setJson(event.currentTarget.checked)}
            />
            Keep JSON valid
          </label>
        ) : null}
        {tool === "next-edit" ? (
          <label>
            File name <input name="path" value={path} onInput={(event) => setPath(event.currentTarget.value)} />
          </label>
        ) : null}
        <label>
          Max tokens
          <input
            name="code-max-tokens"
            type="number"
            min={1}
            value={maxTokens}
            onInput={(event) => setMaxTokens(Math.max(1, Math.floor(Number(event.currentTarget.value)) || 1))}
          />
        </label>
        <span class="hint">
          {tool === "apply" ? "Merges the snippet into the code." : "The caret in the editor is the cursor."}
        </span>
      </div>
      <textarea
        ref={editor}
        name="code"
        class="editor"
        spellcheck={false}
        rows={14}
        value={code}
        onInput={(event) => {
          setCode(event.currentTarget.value);
          trackCaret(event);
        }}
        onSelect={trackCaret}
        onKeyUp={trackCaret}
        onClick={trackCaret}
      />
      {tool === "apply" ? (
        <label class="wide">
          Update snippet ({EXISTING_CODE_MARKER} marks unchanged code)
          <textarea
            name="snippet"
            class="editor"
            spellcheck={false}
            rows={6}
            value={snippet}
            onInput={(event) => setSnippet(event.currentTarget.value)}
          />
        </label>
      ) : null}
      <div class="buttons">
        {request.busy ? (
          <button type="button" name="stop-code" class="danger" onClick={request.stop}>
            Stop
          </button>
        ) : (
          <button type="button" name="propose" disabled={!props.model} onClick={propose}>
            {current.action}
          </button>
        )}
      </div>
      {request.error ? (
        <div class="error" role="alert">
          {request.error}
        </div>
      ) : null}
      {proposal ? (
        <ProposalView
          proposal={proposal}
          granularity={tool === "fim" ? "words" : "lines"}
          onAccept={accept}
          onDiscard={() => setProposal(undefined)}
        />
      ) : null}
    </section>
  );
}
