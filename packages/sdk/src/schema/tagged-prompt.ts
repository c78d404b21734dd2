// Next-edit and apply-edit requests: exactly one user message holding a tagged prompt.
import { z } from "zod";
import { ChatCompletionSchema } from "./chat";
import { SamplingFields } from "./common";

export const TaggedPromptMessageSchema = z.object({
  role: z.literal("user"),
  content: z.string().min(1),
});

const taggedMessages = z.array(TaggedPromptMessageSchema).length(1, "expected exactly one user message");

/** Apply edit's request (an Anneal endpoint: Inception's API no longer lists it); it may stream. */
export const TaggedPromptParamsSchema = z.object({
  model: z.string().min(1),
  messages: taggedMessages,
  ...SamplingFields,
});

const { stream: _noStream, stream_options: _noStreamOptions, ...editSampling } = SamplingFields;

/** Next edit's request: no `stream` ("streaming and tool calling are not supported on this endpoint"). */
export const EditCompletionCreateParamsSchema = z.object({
  model: z.string().min(1),
  messages: taggedMessages,
  ...editSampling,
});
export const ApplyCompletionCreateParamsSchema = TaggedPromptParamsSchema;

/** Next edit's answer: a chat completion whose object is `edit.completion`. */
export const EditCompletionSchema = ChatCompletionSchema.extend({ object: z.literal("edit.completion") });

export type TaggedPromptMessage = z.infer<typeof TaggedPromptMessageSchema>;
export type TaggedPromptParams = z.input<typeof TaggedPromptParamsSchema>;
export type EditCompletionCreateParams = z.input<typeof EditCompletionCreateParamsSchema>;
export type ApplyCompletionCreateParams = z.input<typeof ApplyCompletionCreateParamsSchema>;
export type EditCompletion = z.infer<typeof EditCompletionSchema>;
