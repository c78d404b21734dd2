// createMercury(): the provider. `mercury("mercury-2")` is a chat model; `mercury.fim(id)` and
// `mercury.edit(id)` are completion-style models. Requests go through @anneal/sdk's client, which
// reads INCEPTION_API_KEY / INCEPTION_BASE_URL (never OPENAI_*) and leaves retries to the AI SDK.
import { type LanguageModelV3, NoSuchModelError, type ProviderV3 } from "@ai-sdk/provider";
import { type Fetch, Mercury } from "@anneal/sdk";
import { MercuryChatLanguageModel } from "./chat-language-model";
import { MercuryCompletionLanguageModel } from "./completion-language-model";

export interface MercuryProviderSettings {
  /** Defaults to INCEPTION_API_KEY; without one, no Authorization header is sent (local servers). */
  apiKey?: string;
  /** API root with `/v1`: Inception's by default, `http://localhost:8000/v1` for `anneal serve`. */
  baseURL?: string;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** A fetch to use instead of the global one. */
  fetch?: Fetch;
}

export interface MercuryProvider extends ProviderV3 {
  (modelId: string): LanguageModelV3;
  /** A chat model (`/chat/completions`). */
  chat(modelId: string): LanguageModelV3;
  languageModel(modelId: string): LanguageModelV3;
  /** Fill in the middle (`/fim/completions`): the prompt is the text before the cursor, `providerOptions.mercury.suffix` the text after. */
  fim(modelId: string): LanguageModelV3;
  /** Next edit (`/edit/completions`): the prompt is the tagged text `buildNextEditPrompt` writes. */
  edit(modelId: string): LanguageModelV3;
}

export function createMercury(settings: MercuryProviderSettings = {}): MercuryProvider {
  // The AI SDK retries (maxRetries on each call); the client underneath must not retry as well.
  const client = new Mercury({
    ...(settings.apiKey !== undefined ? { apiKey: settings.apiKey } : {}),
    ...(settings.baseURL !== undefined ? { baseURL: settings.baseURL } : {}),
    ...(settings.headers ? { defaultHeaders: settings.headers } : {}),
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    maxRetries: 0,
    dangerouslyAllowBrowser: true, // the AI SDK decides where it runs; keys in pages are the app's call
  });
  const chat = (modelId: string) => new MercuryChatLanguageModel(modelId, client);
  const provider = Object.assign((modelId: string) => chat(modelId), {
    specificationVersion: "v3" as const,
    chat,
    languageModel: chat,
    fim: (modelId: string) => new MercuryCompletionLanguageModel(modelId, client, "fim"),
    edit: (modelId: string) => new MercuryCompletionLanguageModel(modelId, client, "edit"),
    embeddingModel: (modelId: string): never => {
      throw new NoSuchModelError({ modelId, modelType: "embeddingModel" });
    },
    imageModel: (modelId: string): never => {
      throw new NoSuchModelError({ modelId, modelType: "imageModel" });
    },
  });
  return provider;
}

/** The default provider: Inception's API, key from INCEPTION_API_KEY. */
export const mercury: MercuryProvider = createMercury();
