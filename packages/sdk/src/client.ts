// The Mercury client: one object holding the resources that mirror the API's URL paths.
import { type MercuryOptions, resolveOptions } from "./client-options";
import { Chat } from "./resources/chat";
import { Fim } from "./resources/fim";
import { Models } from "./resources/models";
import { Apply, Edit } from "./resources/tagged-prompt-completions";
import type { APIPromise } from "./transport/api-promise";
import type { RequestOptions } from "./transport/request-options";
import { Transport } from "./transport/transport";

/**
 * A client for Inception's Mercury API and any server that speaks it, Anneal's included.
 *
 * @example
 * const client = new Mercury({ baseURL: "http://localhost:8000/v1" });
 * const reply = await client.chat.completions.create({ model: "mercury-2", messages: [{ role: "user", content: "Hi" }] });
 */
export class Mercury {
  /** The API root requests go to, `/v1` included. */
  readonly baseURL: string;
  readonly chat: Chat;
  readonly fim: Fim;
  readonly edit: Edit;
  readonly apply: Apply;
  readonly models: Models;
  readonly #transport: Transport;

  constructor(options: MercuryOptions = {}) {
    const resolved = resolveOptions(options);
    this.baseURL = resolved.baseURL;
    this.#transport = new Transport(resolved);
    this.chat = new Chat(this.#transport);
    this.fim = new Fim(this.#transport);
    this.edit = new Edit(this.#transport);
    this.apply = new Apply(this.#transport);
    this.models = new Models(this.#transport);
  }

  /** GET an endpoint the SDK has no method for, with the same retries, timeouts and errors. */
  get<T = unknown>(path: string, options?: RequestOptions): APIPromise<T> {
    return this.#transport.request<T>("get", path, undefined, options);
  }

  /** POST a JSON body to an endpoint the SDK has no method for. */
  post<T = unknown>(path: string, body: object, options?: RequestOptions): APIPromise<T> {
    return this.#transport.request<T>("post", path, body, options);
  }
}
