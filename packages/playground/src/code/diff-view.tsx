// A proposed change shown as a diff: word-level inside the text (a FIM insertion), or line by line
// with +/- gutters (edits). jsdiff computes it.
import { type Change, diffLines, diffWordsWithSpace } from "diff";

export type DiffGranularity = "words" | "lines";

export function DiffView(props: { before: string; after: string; granularity: DiffGranularity }) {
  const changes: Change[] =
    props.granularity === "words"
      ? diffWordsWithSpace(props.before, props.after)
      : diffLines(props.before, props.after);
  const added = changes.filter((change) => change.added).length;
  const removed = changes.filter((change) => change.removed).length;
  if (added === 0 && removed === 0) return <div class="diff empty">No change.</div>;
  if (props.granularity === "words") {
    return (
      <pre class="diff words">
        {changes.map((change, index) =>
          change.added ? (
            <ins key={index}>{change.value}</ins>
          ) : change.removed ? (
            <del key={index}>{change.value}</del>
          ) : (
            <span key={index}>{change.value}</span>
          ),
        )}
      </pre>
    );
  }
  return (
    <pre class="diff lines">
      {changes.flatMap((change, index) =>
        splitLines(change.value).map((line, row) => {
          const kind = change.added ? "added" : change.removed ? "removed" : "same";
          const mark = change.added ? "+" : change.removed ? "-" : " ";
          return (
            <div key={`${index}:${row}`} class={`line ${kind}`}>
              {mark} {line}
            </div>
          );
        }),
      )}
    </pre>
  );
}

/** A change's lines without the empty piece a trailing newline leaves. */
function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}
