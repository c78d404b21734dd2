// The forward passes of the block-diffusion decoders (block-generate.ts, sub-block-generate.ts): one
// block of rows at a time, block-causal, over the canvas's exact KV cache, with the pass count and the
// time they took (a result's cost). What those decoders cannot do is refused here, once.
import type { NativeModel, NativeStats } from "../native";
import type { Canvas } from "./canvas";
import { abortReason, constrain } from "./canvas-steps";
import type { GenerateOptions, withDefaults } from "./generate";

/** Options the block decoders refuse (a RangeError naming them) rather than ignore. */
export function refuseForBlockDecoding(options: GenerateOptions): void {
  if ((options.suffix?.length ?? 0) > 0) throw new RangeError("block-diffusion models do not infill (no suffix)");
  if ((options.guidance ?? 0) > 0) throw new RangeError("block-diffusion decoding has no classifier-free guidance");
}

export class BlockPasses {
  count = 0;
  forwardMs = 0;
  readonly #model: Pick<NativeModel, "forward" | "createCache">;
  readonly #canvas: Canvas;
  readonly #cache: ReturnType<NativeModel["createCache"]>;
  readonly #blockSize: number;
  readonly #o: Pick<ReturnType<typeof withDefaults>, "sampling" | "signal" | "constraint">;

  constructor(
    model: Pick<NativeModel, "forward" | "createCache">,
    canvas: Canvas,
    blockSize: number,
    o: Pick<ReturnType<typeof withDefaults>, "sampling" | "signal" | "constraint">,
  ) {
    this.#model = model;
    this.#canvas = canvas;
    this.#cache = model.createCache(canvas.length);
    this.#blockSize = blockSize;
    this.#o = o;
  }

  /**
   * Forwards rows [begin, end) — they attend up to `end` — summarising `statRows`; with a layout,
   * those rows get their allowed-token masks and the layout's rules come back.
   */
  async run(begin: number, end: number, statRows: number[]) {
    if (this.#o.signal?.aborted) throw abortReason(this.#o.signal);
    const sequence = {
      tokens: this.#canvas.tokens,
      rowBegin: begin,
      rowEnd: end,
      attendLength: end,
      blockSize: this.#blockSize,
      cache: this.#cache,
      statRows: Int32Array.from(statRows),
      sampling: this.#o.sampling,
      step: this.count,
    };
    const { constraint } = this.#o;
    const rules = constraint ? constrain(sequence, this.#canvas, constraint, 0) : undefined;
    const t0 = performance.now();
    const [stats] = (await this.#model.forward([sequence])) as [NativeStats];
    this.forwardMs += performance.now() - t0;
    this.count++;
    return { stats, statRows: sequence.statRows, rules };
  }
}
