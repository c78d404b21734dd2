// Tools: the model asks for a function call, we run it and send the result back.
import { type ChatMessage, Mercury, type Tool } from "@anneal/sdk";

const client = new Mercury();
const model = process.env.ANNEAL_CHAT_MODEL ?? "mercury-2";
const tools: Tool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Current weather for a city",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
];
const messages: ChatMessage[] = [{ role: "user", content: "What's the weather in Paris?" }];

const first = await client.chat.completions.create({ model, messages, tools, tool_choice: "auto" });
const reply = first.choices[0]?.message;
for (const call of reply?.tool_calls ?? []) {
  const { city } = JSON.parse(call.function.arguments) as { city: string };
  console.log(`tool call: ${call.function.name}(${city})`);
  messages.push({ role: "assistant", content: null, tool_calls: [call] });
  messages.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify({ city, celsius: 18, sky: "clear" }) });
}

const second = await client.chat.completions.create({ model, messages, tools });
console.log(`answer: ${second.choices[0]?.message.content}`);
