// Prompt text → token ids, refusing at once a text that cannot fit the context whatever its tokens,
// so a huge prompt costs a length check, not seconds of tokenizing.
import { badRequest } from "./http-error";
import type { ServedModel } from "./served-model";

/** Tokenizes `texts` (a prompt and, for FIM, a suffix) after the character bound; long ones off the event loop. */
export async function promptTokens(served: ServedModel, texts: string[], param: string): Promise<number[][]> {
  const { tokenizer } = served.checkpoint;
  const chars = texts.reduce((sum, text) => sum + text.length, 0);
  const limit = served.contextLength * tokenizer.maxTokenChars;
  if (chars > limit) {
    throw badRequest(
      `The prompt has ${chars} characters; this model's context of ${served.contextLength} tokens holds at most ${limit}.`,
      param,
      "context_length_exceeded",
    );
  }
  return Promise.all(texts.map((text) => tokenizer.encodeAsync(text)));
}
