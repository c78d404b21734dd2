// One turn of the conversation: the user's text, or an answer — its live canvas while it diffuses,
// then rendered markdown with its stats (and its last canvas on request).
import { useState } from "preact/hooks";
import { renderAnswer } from "../markdown";
import { formatStats } from "./answer-stats";
import { CanvasView } from "./canvas-view";
import type { Turn } from "./use-chat";

export function MessageView(props: { turn: Turn; shade: boolean }) {
  const { turn } = props;
  const [showCanvas, setShowCanvas] = useState(false);
  if (turn.role === "user") {
    return (
      <div class="message user">
        <div class="bubble">{turn.content}</div>
      </div>
    );
  }
  const live = turn.status === "streaming" && turn.canvas !== undefined;
  return (
    <div class={`message assistant ${turn.status}`} data-status={turn.status}>
      {live || (showCanvas && turn.canvas) ? (
        <CanvasView
          frame={turn.canvas as NonNullable<Turn["canvas"]>}
          previous={turn.previousCanvas}
          shade={props.shade}
        />
      ) : (
        // renderAnswer sanitises with DOMPurify, so a model's HTML cannot run in the page.
        <div class="markdown" dangerouslySetInnerHTML={{ __html: renderAnswer(turn.content) }} />
      )}
      {turn.status === "streaming" && !turn.content && !turn.canvas ? (
        <div class="waiting">waiting for the first step…</div>
      ) : null}
      {turn.status === "error" ? (
        <div class="error" role="alert">
          {turn.error}
        </div>
      ) : null}
      <div class="answer-footer">
        {turn.status === "stopped" ? <span class="badge">stopped</span> : null}
        {turn.finishReason === "length" ? <span class="badge">max tokens reached</span> : null}
        {turn.stats ? <span class="stats">{formatStats(turn.stats)}</span> : null}
        {turn.frames > 0 ? <span class="stats">{turn.frames} canvas frames</span> : null}
        {turn.status !== "streaming" && turn.canvas ? (
          <button type="button" class="link" onClick={() => setShowCanvas(!showCanvas)}>
            {showCanvas ? "show answer" : "show canvas"}
          </button>
        ) : null}
      </div>
    </div>
  );
}
