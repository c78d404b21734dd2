// Trains a byte-level BPE vocabulary: count pre-tokenized words, then repeatedly merge the most
// frequent adjacent pair, updating only the words that contain it (a lazy max-heap finds the pair).
import { BYTE_TO_CHAR, preTokenize, wordToSymbols } from "./byte-level";

export interface BpeVocabulary {
  /** token string -> id; ids 0–255 are the bytes, merges follow in the order they were learned */
  vocab: Map<string, number>;
  /** "left right" pairs, in merge order */
  merges: [string, string][];
}

interface Word {
  symbols: number[];
  count: number;
}

/** Max-heap of [count, pairKey] with lazy deletion (entries are re-checked against the live count). */
class PairHeap {
  readonly #items: [number, number][] = [];

  push(count: number, key: number): void {
    const items = this.#items;
    items.push([count, key]);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#above(items[i] as [number, number], items[parent] as [number, number])) break;
      [items[i], items[parent]] = [items[parent] as [number, number], items[i] as [number, number]];
      i = parent;
    }
  }

  pop(): [number, number] | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && this.#above(items[l] as [number, number], items[best] as [number, number])) best = l;
        if (r < items.length && this.#above(items[r] as [number, number], items[best] as [number, number])) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best] as [number, number], items[i] as [number, number]];
        i = best;
      }
    }
    return top;
  }

  // Higher count first; ties go to the smaller key, so training is deterministic.
  #above(a: [number, number], b: [number, number]): boolean {
    return a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]);
  }
}

const PAIR_BASE = 1 << 20; // symbol ids stay below this, so a pair packs into one safe integer

/** Learns `vocabSize − 256` merges from `texts` (merges seen fewer than `minCount` times are not made). */
export function trainBpe(texts: Iterable<string>, vocabSize: number, minCount = 2): BpeVocabulary {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const word of preTokenize(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const tokens: string[] = [...BYTE_TO_CHAR];
  const idOf = new Map(tokens.map((t, i) => [t, i]));
  const words: Word[] = [...counts].map(([word, count]) => ({
    symbols: wordToSymbols(word).map((c) => idOf.get(c) as number),
    count,
  }));

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1) => {
    const { symbols, count } = words[w] as Word;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = (symbols[i] as number) * PAIR_BASE + (symbols[i + 1] as number);
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * count);
      if (sign > 0) {
        const set = pairWords.get(key) ?? new Set<number>();
        set.add(w);
        pairWords.set(key, set);
      }
    }
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1);
  const heap = new PairHeap();
  for (const [key, count] of pairCount) heap.push(count, key);

  const merges: [string, string][] = [];
  while (tokens.length < vocabSize) {
    const top = heap.pop();
    if (!top) break;
    const [count, key] = top;
    const live = pairCount.get(key) ?? 0;
    if (live !== count) {
      if (live > 0) heap.push(live, key); // the pair lost occurrences to other merges: re-queue its count
      continue;
    }
    if (count < minCount) break;
    const left = Math.floor(key / PAIR_BASE);
    const right = key % PAIR_BASE;
    const merged = tokens.length;
    tokens.push((tokens[left] as string) + (tokens[right] as string));
    merges.push([tokens[left] as string, tokens[right] as string]);
    const touched = new Set<number>();
    for (const w of pairWords.get(key) ?? []) {
      const word = words[w] as Word;
      addPairs(w, -1);
      const out: number[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (word.symbols[i] === left && word.symbols[i + 1] === right) {
          out.push(merged);
          i++;
        } else {
          out.push(word.symbols[i] as number);
        }
      }
      word.symbols = out;
      addPairs(w, 1);
      for (let i = 0; i + 1 < out.length; i++) touched.add((out[i] as number) * PAIR_BASE + (out[i + 1] as number));
    }
    pairWords.delete(key);
    pairCount.delete(key);
    for (const changed of touched) {
      const c = pairCount.get(changed) ?? 0;
      if (c > 0) heap.push(c, changed);
    }
  }
  return { vocab: new Map(tokens.map((t, i) => [t, i])), merges };
}
