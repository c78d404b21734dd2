// `@anneal/ai-sdk`: a Vercel AI SDK provider for Mercury-style APIs (Inception's, Anneal's server).
export { draftsOf, type WithFullStream } from "./drafts";
export { createMercury, type MercuryProvider, type MercuryProviderSettings, mercury } from "./mercury-provider";
export type { MercuryProviderOptions } from "./provider-options";
