// A Mercury API stand-in built from the SDK's recorded fixtures, for running the examples until the
// real backend exists. It picks the fixture from the request, as the hosted API would answer it.
import { HttpResponse, http } from "msw";
import { fixtureJSON, fixtureText } from "../../packages/sdk/test/support/fixtures";
import { sseResponse } from "../../packages/sdk/test/support/mock-api";

export const FAKE_BASE_URL = "http://fake-mercury.test/v1";

interface ChatBody {
  stream?: boolean;
  diffusing?: boolean;
  tools?: unknown[];
  response_format?: unknown;
  reasoning_summary_wait?: boolean;
  messages: { role: string }[];
}

function chatFixture(body: ChatBody): Response {
  if (body.stream && body.diffusing) return sseResponse(fixtureText("chat-diffusing.sse"));
  if (body.stream && body.reasoning_summary_wait) return sseResponse(fixtureText("chat-reasoning-summary.sse"));
  if (body.stream) return sseResponse(fixtureText("chat-stream.sse"));
  if (body.response_format) return HttpResponse.json(fixtureJSON("chat-structured.json"));
  const answeredTool = body.messages.some((message) => message.role === "tool");
  if (body.tools && !answeredTool) return HttpResponse.json(fixtureJSON("chat-tool-calls.json"));
  return HttpResponse.json(fixtureJSON("chat-completion.json"));
}

export const fakeMercuryHandlers = [
  http.post(`${FAKE_BASE_URL}/chat/completions`, async ({ request }) =>
    chatFixture((await request.json()) as ChatBody),
  ),
  http.post(`${FAKE_BASE_URL}/fim/completions`, () => HttpResponse.json(fixtureJSON("fim-completion.json"))),
  http.post(`${FAKE_BASE_URL}/edit/completions`, () => HttpResponse.json(fixtureJSON("edit-completion.json"))),
  http.post(`${FAKE_BASE_URL}/apply/completions`, () => HttpResponse.json(fixtureJSON("apply-completion.json"))),
  http.get(`${FAKE_BASE_URL}/models`, () => HttpResponse.json(fixtureJSON("models.json"))),
  http.get(`${FAKE_BASE_URL}/edit/completions/models`, () => HttpResponse.json(fixtureJSON("models-edit.json"))),
];
