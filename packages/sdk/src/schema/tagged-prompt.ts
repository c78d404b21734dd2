// Next-edit and apply-edit requests: exactly one user message holding a tagged prompt.
import { z } from "zod";
import { SamplingFields } from "./common";

export const TaggedPromptMessageSchema = z.object({
  role: z.literal("user"),
  content: z.string().min(1),
});

/** Both edit endpoints take this shape; only the tags inside `content` differ. */
export const TaggedPromptParamsSchema = z.object({
  model: z.string().min(1),
  messages: z.array(TaggedPromptMessageSchema).length(1, "expected exactly one user message"),
  ...SamplingFields,
});

export const EditCompletionCreateParamsSchema = TaggedPromptParamsSchema;
export const ApplyCompletionCreateParamsSchema = TaggedPromptParamsSchema;

export type TaggedPromptMessage = z.infer<typeof TaggedPromptMessageSchema>;
export type TaggedPromptParams = z.input<typeof TaggedPromptParamsSchema>;
export type EditCompletionCreateParams = z.input<typeof EditCompletionCreateParamsSchema>;
export type ApplyCompletionCreateParams = z.input<typeof ApplyCompletionCreateParamsSchema>;
