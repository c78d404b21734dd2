// `@anneal/sdk/schema`: the zod schemas of every request, response and chunk, shared with the server.
export * from "./chat";
export * from "./common";
export * from "./error-body";
export * from "./fim";
export * from "./models";
export * from "./tagged-prompt";
