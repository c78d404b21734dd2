// `client.models` ↔ `GET /models` and the per-endpoint catalogues.
import type { ModelList } from "../schema/models";
import type { APIPromise } from "../transport/api-promise";
import type { RequestOptions } from "../transport/request-options";
import type { Transport } from "../transport/transport";

export class Models {
  constructor(private readonly transport: Transport) {}

  /** Every model the server lists (Inception's general list may omit edit models; see `listEdit`). */
  list(options?: RequestOptions): APIPromise<ModelList> {
    return this.transport.request<ModelList>("get", "/models", undefined, options);
  }

  /** Models served by `/chat/completions`. */
  listChat(options?: RequestOptions): APIPromise<ModelList> {
    return this.transport.request<ModelList>("get", "/chat/completions/models", undefined, options);
  }

  /** Models served by `/fim/completions`. */
  listFim(options?: RequestOptions): APIPromise<ModelList> {
    return this.transport.request<ModelList>("get", "/fim/completions/models", undefined, options);
  }

  /** Models served by `/edit/completions` (and `/apply/completions`). */
  listEdit(options?: RequestOptions): APIPromise<ModelList> {
    return this.transport.request<ModelList>("get", "/edit/completions/models", undefined, options);
  }
}
