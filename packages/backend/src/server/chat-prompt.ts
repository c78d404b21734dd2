// Renders chat messages (and tool definitions) into prompt tokens with the model's chat template.
import type { ChatMessage, MessageContent, Tool } from "@anneal/sdk/schema";
import { promptTokens } from "./prompt-tokens";
import type { ServedModel } from "./served-model";

export function contentText(content: MessageContent | null | undefined): string {
  if (content === null || content === undefined) return "";
  return typeof content === "string" ? content : content.map((part) => part.text).join("");
}

/** Tool definitions as a system message, for templates that do not render `tools` themselves. */
function toolsMessage(tools: Tool[]): string {
  const lines = tools.map((tool) =>
    JSON.stringify({
      name: tool.function.name,
      description: tool.function.description,
      parameters: tool.function.parameters,
    }),
  );
  return `You can call these functions. To call one, answer with <tool_call>{"name": ..., "arguments": {...}}</tool_call>.\n${lines.join("\n")}`;
}

export async function chatPromptTokens(
  served: ServedModel,
  messages: ChatMessage[],
  tools: Tool[] | undefined,
): Promise<number[]> {
  const { chatTemplate } = served.checkpoint;
  const rendered = messages.map((message) => {
    if (message.role === "assistant" && message.tool_calls?.length) {
      const calls = message.tool_calls.map(
        (call) =>
          `<tool_call>{"name": ${JSON.stringify(call.function.name)}, "arguments": ${call.function.arguments}}</tool_call>`,
      );
      return { role: "assistant", content: `${contentText(message.content)}${calls.join("")}` };
    }
    if (message.role === "tool")
      return { role: "tool", content: contentText(message.content), tool_call_id: message.tool_call_id };
    // The legacy function-result message is a tool result to every chat template we know.
    if (message.role === "function") return { role: "tool", content: contentText(message.content), name: message.name };
    return { role: message.role, content: contentText(message.content) };
  });
  if (tools?.length) rendered.unshift({ role: "system", content: toolsMessage(tools) });
  const text = chatTemplate
    ? chatTemplate.render(rendered, { tools })
    : `${rendered.map((m) => `${m.role}: ${m.content}`).join("\n")}\nassistant: `;
  const [tokens] = await promptTokens(served, [text], "messages");
  return tokens as number[];
}

/** `<tool_call>{...}</tool_call>` blocks in an answer, as OpenAI tool calls; the rest stays content. */
export function parseToolCalls(text: string): { content: string; calls: { name: string; arguments: string }[] } {
  const calls: { name: string; arguments: string }[] = [];
  const content = text.replace(/<tool_call>([\s\S]*?)<\/tool_call>/g, (whole, body: string) => {
    try {
      const parsed = JSON.parse(body) as { name?: unknown; arguments?: unknown };
      if (typeof parsed.name !== "string") return whole;
      calls.push({ name: parsed.name, arguments: JSON.stringify(parsed.arguments ?? {}) });
      return "";
    } catch {
      return whole;
    }
  });
  return { content: content.trim(), calls };
}
