// A model's proposed change to the user's code: the diff, then accept (replace the code) or discard.
import { type DiffGranularity, DiffView } from "./diff-view";

export interface Proposal {
  before: string;
  after: string;
  /** Where the caret goes once accepted. */
  caret?: number | undefined;
  note?: string | undefined;
}

export function ProposalView(props: {
  proposal: Proposal;
  granularity: DiffGranularity;
  onAccept(): void;
  onDiscard(): void;
}) {
  const unchanged = props.proposal.before === props.proposal.after;
  return (
    <div class="proposal">
      {props.proposal.note ? <p class="note">{props.proposal.note}</p> : null}
      <DiffView before={props.proposal.before} after={props.proposal.after} granularity={props.granularity} />
      <div class="buttons">
        <button type="button" name="accept" disabled={unchanged} onClick={props.onAccept}>
          Accept
        </button>
        <button type="button" name="discard" onClick={props.onDiscard}>
          Discard
        </button>
      </div>
    </div>
  );
}
