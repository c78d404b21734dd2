// Turns a corpus into training batches. Batch n depends only on (seed, n), so a resumed run sees
// exactly the batches an uninterrupted one would.
import type { ChatTemplate } from "../checkpoint/chat-template";
import type { TextTokenizer } from "../checkpoint/tokenizer";
import type { NativeTrainBatch } from "../native";
import type { Document } from "./corpus";
import {
  docCommentPairs,
  type Example,
  fimExample,
  pretrainingExample,
  SeededRandom,
  type SpecialIds,
  sftExample,
} from "./examples";

/** Shares of each kind of example in a batch. */
export interface DataMix {
  pretrain: number;
  sft: number;
  fim: number;
}

export const DEFAULT_MIX: DataMix = { pretrain: 0.6, sft: 0.2, fim: 0.2 };

export class TrainingData {
  /** All documents' tokens, each followed by EOS. */
  readonly stream: Int32Array;
  readonly #documents: Document[];
  readonly #pairs: { request: string; code: string }[];

  constructor(
    documents: Document[],
    private readonly tokenizer: TextTokenizer,
    private readonly template: ChatTemplate,
    private readonly ids: SpecialIds,
    private readonly length: number,
    private readonly mix: DataMix = DEFAULT_MIX,
  ) {
    this.#documents = documents;
    const pieces: number[][] = documents.map((doc) => [...tokenizer.encode(doc.text), ids.eos]);
    this.stream = Int32Array.from(pieces.flat());
    this.#pairs = documents.flatMap((doc) => docCommentPairs(doc.text));
    if (this.stream.length <= length)
      throw new Error(`the corpus has ${this.stream.length} tokens; at least ${length + 1} are needed`);
  }

  get tokenCount(): number {
    return this.stream.length;
  }

  get sftPairs(): number {
    return this.#pairs.length;
  }

  /**
   * Batch number `step`: `size` sequences mixed by kind, flattened for the trainer. Mask rates are
   * stratified over the batch (t_i = (u + i) / size, as MDLM's low-discrepancy sampler does), which
   * keeps the 1/p-weighted loss from swinging with a batch that happens to draw only tiny t.
   */
  batch(step: number, size: number, seed: number): NativeTrainBatch {
    const offset = new SeededRandom(mixSeed(seed, step, -1)).next();
    const examples = Array.from({ length: size }, (_, i) =>
      this.#example(new SeededRandom(mixSeed(seed, step, i)), (offset + i) / size),
    );
    return flatten(examples, this.length, 1 / size);
  }

  #example(random: SeededRandom, t: number): Example {
    const kind = random.next();
    if (kind < this.mix.sft && this.#pairs.length > 0) {
      const example = this.#sft(random, t);
      if (example) return example;
    } else if (kind < this.mix.sft + this.mix.fim) {
      const example = this.#fim(random, t);
      if (example) return example;
    }
    return pretrainingExample(this.#window(random), this.ids, random, t);
  }

  #window(random: SeededRandom): Int32Array {
    const start = Math.floor(random.next() * (this.stream.length - this.length));
    return this.stream.slice(start, start + this.length);
  }

  #sft(random: SeededRandom, t: number): Example | undefined {
    const pair = this.#pairs[Math.floor(random.next() * this.#pairs.length)] as { request: string; code: string };
    const prompt = this.tokenizer.encode(this.template.render([{ role: "user", content: pair.request }]));
    const answer = [...this.tokenizer.encode(pair.code), this.ids.eos];
    return sftExample(prompt, answer, this.length, this.ids, random, t);
  }

  /** One to three lines of a document as the middle, the text around it as prefix and suffix. */
  #fim(random: SeededRandom, t: number): Example | undefined {
    const doc = this.#documents[Math.floor(random.next() * this.#documents.length)] as Document;
    const lines = doc.text.split("\n");
    if (lines.length < 4) return undefined;
    const first = Math.floor(random.next() * lines.length);
    const last = Math.min(lines.length, first + 1 + Math.floor(random.next() * 3));
    const before = lines.slice(0, first).join("\n") + (first > 0 ? "\n" : "");
    const middleText = `${lines.slice(first, last).join("\n")}${last < lines.length ? "\n" : ""}`;
    const after = lines.slice(last).join("\n");
    const middle = this.tokenizer.encode(middleText);
    const padding = 1 + Math.floor(random.next() * 16);
    const region = middle.length + padding;
    if (region > this.length / 2) return undefined;
    const room = this.length - region;
    const prefixTokens = this.tokenizer.encode(before.slice(-room * 6));
    const suffixTokens = this.tokenizer.encode(after.slice(0, room * 6));
    const prefixLength = Math.min(prefixTokens.length, Math.max(room - suffixTokens.length, Math.ceil(room / 2)));
    const prefix = prefixTokens.slice(prefixTokens.length - prefixLength);
    const suffix = suffixTokens.slice(0, room - prefix.length);
    const example = fimExample(prefix, middle, suffix, padding, this.ids, random, t);
    return example.inputs.length === this.length ? example : undefined;
  }
}

/** Concatenates examples (padding short ones with unweighted EOS) and scales weights to a batch mean. */
export function flatten(examples: Example[], length: number, scale: number): NativeTrainBatch {
  const inputs = new Int32Array(examples.length * length);
  const targets = new Int32Array(inputs.length);
  const weights = new Float32Array(inputs.length);
  examples.forEach((example, i) => {
    inputs.set(example.inputs.subarray(0, length), i * length);
    targets.set(example.targets.subarray(0, length), i * length);
    for (let j = 0; j < Math.min(length, example.weights.length); j++)
      weights[i * length + j] = (example.weights[j] as number) * scale;
  });
  return { batch: examples.length, length, inputs, targets, weights };
}

/** A 32-bit seed for example `index` of batch `step`. */
export function mixSeed(seed: number, step: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const v of [step, index]) {
    h = Math.imul(h ^ v, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

/** Models with shifted logits predict token i at row i − 1: move each target and weight one row up. */
export function shiftTargets<T extends { batch: number; length: number; targets: Int32Array; weights: Float32Array }>(
  batch: T,
): T {
  const targets = new Int32Array(batch.targets.length);
  const weights = new Float32Array(batch.weights.length);
  for (let s = 0; s < batch.batch; s++) {
    for (let i = 1; i < batch.length; i++) {
      targets[s * batch.length + i - 1] = batch.targets[s * batch.length + i] as number;
      weights[s * batch.length + i - 1] = batch.weights[s * batch.length + i] as number;
    }
  }
  return { ...batch, targets, weights };
}
