// A Mercury-shaped API on loopback that answers with exactly what a test scripts: for CLI tests whose
// outcome must not depend on what a model happens to write (the CLI runs as its own process, so msw
// cannot stand in).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptedAnswers {
  /** The infill text of /fim/completions. */
  fim?: string;
  /** The assistant message of /apply/completions and /edit/completions. */
  apply?: string;
  edit?: string;
  /** Chat: the streamed text (4 characters a frame). */
  chat?: string;
}

export interface ScriptedApi {
  baseURL: string;
  answers: ScriptedAnswers;
  close(): Promise<void>;
}

export async function startScriptedApi(answers: ScriptedAnswers = {}): Promise<ScriptedApi> {
  const api: ScriptedApi = { baseURL: "", answers, close: async () => {} };
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const base = { id: "scripted", created: 1, model: "scripted" };
      const json = (value: unknown) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(value));
      };
      const message = (content: string) =>
        json({
          ...base,
          object: "chat.completion",
          choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        });
      if (request.url === "/v1/fim/completions") {
        json({
          ...base,
          object: "text_completion",
          choices: [{ index: 0, text: api.answers.fim ?? "", finish_reason: "stop" }],
        });
      } else if (request.url === "/v1/apply/completions") message(api.answers.apply ?? "");
      else if (request.url === "/v1/edit/completions") message(api.answers.edit ?? "");
      else if (request.url === "/v1/chat/completions" && JSON.parse(body || "{}").stream) {
        // Pieces of 4 characters, 5 ms apart; with `diffusing` each frame is the whole draft so far.
        const diffusing = JSON.parse(body).diffusing === true;
        response.writeHead(200, { "content-type": "text/event-stream" });
        const pieces = (api.answers.chat ?? "").match(/[\s\S]{1,4}/g) ?? [];
        let sent = "";
        const timer = setInterval(() => {
          const piece = pieces.shift();
          if (piece === undefined) {
            clearInterval(timer);
            response.end("data: [DONE]\n\n");
            return;
          }
          sent += piece;
          const delta = { content: diffusing ? sent : piece };
          const chunk = {
            ...base,
            object: "chat.completion.chunk",
            choices: [{ index: 0, delta, finish_reason: null }],
          };
          response.write(`data: ${JSON.stringify(chunk)}\n\n`);
        }, 5);
        response.on("close", () => clearInterval(timer));
      } else {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: `no script for ${request.url}`, type: "not_found" } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api.baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  api.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return api;
}
