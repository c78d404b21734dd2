// Tokenization of long texts on a worker thread, so a large prompt never stalls the server's event
// loop (other streams, /health). One worker per tokenizer, started on first use, unref'd when idle.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** The worker's whole program: the same library and tokenizer.json as the main thread's copy. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { Tokenizer } = require(workerData.module);
const tokenizer = new Tokenizer(workerData.json, workerData.config);
parentPort.on("message", ({ id, text }) => {
  try {
    const ids = Int32Array.from(tokenizer.encode(text, { add_special_tokens: false }).ids);
    parentPort.postMessage({ id, ids }, [ids.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});
`;

interface Reply {
  id: number;
  ids?: Int32Array;
  error?: string;
}

export class TokenizeWorker {
  readonly #json: object;
  readonly #config: object;
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<number, { resolve: (ids: number[]) => void; reject: (e: Error) => void }>();

  constructor(tokenizerJson: object, tokenizerConfig: object) {
    this.#json = tokenizerJson;
    this.#config = tokenizerConfig;
  }

  encode(text: string): Promise<number[]> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.ref(); // keep the process alive while work is out
      worker.postMessage({ id, text });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const module = createRequire(import.meta.url).resolve("@huggingface/tokenizers");
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, json: this.#json, config: this.#config },
    });
    worker.unref();
    worker.on("message", (reply: Reply) => {
      const waiting = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (!waiting) return;
      if (reply.ids) waiting.resolve(Array.from(reply.ids));
      else waiting.reject(new Error(`tokenization failed: ${reply.error}`));
    });
    // A dead worker fails what it held; the next call starts a new one.
    const fail = (error: Error) => {
      this.#worker = undefined;
      for (const waiting of this.#pending.values()) waiting.reject(error);
      this.#pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the tokenizer worker exited (${code})`)));
    this.#worker = worker;
    return worker;
  }
}
