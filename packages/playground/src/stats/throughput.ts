// The live throughput series: successive /metrics readings turned into rates over a sliding window.
import type { MetricTotals } from "../api/prometheus";

export interface ThroughputPoint {
  /** Milliseconds since the epoch of the later reading. */
  at: number;
  /** Answer tokens per second between the two readings. */
  tokensPerSecond: number;
  /** Forward passes per second between the two readings. */
  forwardsPerSecond: number;
}

export interface ServerSnapshot {
  running: number;
  queued: number;
  generatedTokens: number;
  forwardPasses: number;
  requests: number;
}

export function snapshotOf(totals: MetricTotals): ServerSnapshot {
  return {
    running: totals.get("anneal_running_requests") ?? 0,
    queued: totals.get("anneal_queue_depth") ?? 0,
    generatedTokens: totals.get("anneal_generated_tokens_total") ?? 0,
    forwardPasses: totals.get("anneal_forward_passes_total") ?? 0,
    requests: totals.get("anneal_requests_total") ?? 0,
  };
}

export class ThroughputSeries {
  readonly #capacity: number;
  #points: ThroughputPoint[] = [];
  #last: { at: number; snapshot: ServerSnapshot } | undefined;

  constructor(capacity = 60) {
    this.#capacity = capacity;
  }

  get points(): readonly ThroughputPoint[] {
    return this.#points;
  }

  /** Adds a reading; a counter that went backwards (a restarted server) starts the series afresh. */
  add(at: number, snapshot: ServerSnapshot): void {
    const last = this.#last;
    this.#last = { at, snapshot };
    if (!last || at <= last.at) return;
    const tokens = snapshot.generatedTokens - last.snapshot.generatedTokens;
    const forwards = snapshot.forwardPasses - last.snapshot.forwardPasses;
    if (tokens < 0 || forwards < 0) {
      this.#points = [];
      return;
    }
    const seconds = (at - last.at) / 1000;
    this.#points = [
      ...this.#points,
      { at, tokensPerSecond: tokens / seconds, forwardsPerSecond: forwards / seconds },
    ].slice(-this.#capacity);
  }
}
