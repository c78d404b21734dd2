// The AI SDK's prompt as Mercury chat messages: system, user and assistant text, assistant tool calls,
// and tool results (as `tool` messages). Mercury is text-only: files are refused.
import {
  type LanguageModelV3Prompt,
  type LanguageModelV3ToolResultOutput,
  UnsupportedFunctionalityError,
} from "@ai-sdk/provider";
import type { ChatMessage, ToolCall } from "@anneal/sdk";

export function toChatMessages(prompt: LanguageModelV3Prompt): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const message of prompt) {
    switch (message.role) {
      case "system":
        messages.push({ role: "system", content: message.content });
        break;
      case "user":
        messages.push({
          role: "user",
          content: message.content
            .map((part) => {
              if (part.type === "file") throw new UnsupportedFunctionalityError({ functionality: "file inputs" });
              return part.text;
            })
            .join(""),
        });
        break;
      case "assistant": {
        let text = "";
        const calls: ToolCall[] = [];
        for (const part of message.content) {
          if (part.type === "text") text += part.text;
          else if (part.type === "tool-call") {
            calls.push({
              id: part.toolCallId,
              type: "function",
              function: { name: part.toolName, arguments: JSON.stringify(part.input ?? {}) },
            });
          } else if (part.type === "file") throw new UnsupportedFunctionalityError({ functionality: "file outputs" });
          // Reasoning parts and results of provider-run tools are not sent back: Mercury has no place for them.
        }
        messages.push({ role: "assistant", content: text || null, ...(calls.length ? { tool_calls: calls } : {}) });
        break;
      }
      case "tool":
        for (const part of message.content) {
          if (part.type !== "tool-result") continue; // approval responses: the AI SDK handles them
          messages.push({ role: "tool", tool_call_id: part.toolCallId, content: resultText(part.output) });
        }
        break;
    }
  }
  return messages;
}

/** A tool's output as the text Mercury reads. */
function resultText(output: LanguageModelV3ToolResultOutput): string {
  switch (output.type) {
    case "text":
    case "error-text":
      return output.value;
    case "json":
    case "error-json":
      return JSON.stringify(output.value);
    case "execution-denied":
      return `The tool call was denied${output.reason ? `: ${output.reason}` : "."}`;
    case "content":
      return output.value.map((part) => (part.type === "text" ? part.text : "")).join("");
    default:
      return "";
  }
}
