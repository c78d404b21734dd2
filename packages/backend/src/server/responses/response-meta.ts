// What every response and chunk of one request shares: its id, creation time and model id.
import { randomUUID } from "node:crypto";

export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
}

/** `chatcmpl-…` for chat-shaped answers, `cmpl-…` for text completions, as OpenAI names them. */
export function responseMeta(kind: "chat" | "text", model: string): ResponseMeta {
  return {
    id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID().replaceAll("-", "").slice(0, 24)}`,
    created: Math.floor(Date.now() / 1000),
    model,
  };
}
