// Shares forward passes between concurrent generations: calls that arrive while a pass runs, or in
// the same event-loop turn as it ends, are joined into the next one (one native call over them all).
import type { NativeModel, NativeSequence, NativeStats } from "../native";

interface Pending {
  sequences: NativeSequence[];
  resolve: (stats: NativeStats[]) => void;
  reject: (error: unknown) => void;
}

export class ForwardBatcher {
  #pending: Pending[] = [];
  #running = false;

  /** `onPass(sequences)` is told the size of every pass (for metrics). */
  constructor(
    private readonly model: NativeModel,
    private readonly onPass: (sequences: number) => void = () => {},
  ) {}

  forward(sequences: NativeSequence[]): Promise<NativeStats[]> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ sequences, resolve, reject });
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#pending.length > 0) {
        // Let the callers whose previous pass just finished submit their next step (they do so
        // within this turn of the event loop), so concurrent generations stay in one pass.
        await new Promise((resolve) => setImmediate(resolve));
        const group = this.#pending.splice(0);
        const all = group.flatMap((p) => p.sequences);
        this.onPass(all.length);
        try {
          const stats = await this.model.forward(all);
          let offset = 0;
          for (const p of group) {
            p.resolve(stats.slice(offset, offset + p.sequences.length));
            offset += p.sequences.length;
          }
        } catch {
          // One bad sequence must not fail its neighbours: rerun each caller's share alone.
          for (const p of group) await this.model.forward(p.sequences).then(p.resolve, p.reject);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
