// models.list and the per-endpoint catalogues hit their own paths and return typed lists.
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { NotFoundError } from "../src/index";
import { BASE_URL, fixtureJSON, makeClient, server, useMockApi } from "./support/mock-api";

useMockApi();

describe("models", () => {
  it.each([
    ["list", "/models"],
    ["listChat", "/chat/completions/models"],
    ["listFim", "/fim/completions/models"],
    ["listEdit", "/edit/completions/models"],
  ] as const)("%s() reads GET %s", async (method, path) => {
    const fixture = path === "/edit/completions/models" ? "models-edit.json" : "models.json";
    const seen: string[] = [];
    server.use(
      http.get(`${BASE_URL}${path}`, ({ request }) => {
        seen.push(`${request.method} ${new URL(request.url).pathname}`);
        return HttpResponse.json(fixtureJSON(fixture));
      }),
    );
    const list = await makeClient().models[method]();
    expect(seen).toEqual([`GET /v1${path}`]);
    expect(list.data[0]?.id).toMatch(/^mercury/);
  });

  it("types the catalogue fields", async () => {
    server.use(http.get(`${BASE_URL}/models`, () => HttpResponse.json(fixtureJSON("models.json"))));
    const [model] = (await makeClient().models.list()).data;
    expect(model?.context_length).toBe(128000);
    expect(model?.supported_features).toContain("structured_outputs");
    expect(Number(model?.pricing?.completion)).toBeCloseTo(7.5e-7);
  });

  it("a catalogue the account lacks is a NotFoundError", async () => {
    server.use(
      http.get(`${BASE_URL}/fim/completions/models`, () =>
        HttpResponse.json({ error: { message: "Not enabled" } }, { status: 404 }),
      ),
    );
    await expect(makeClient().models.listFim()).rejects.toBeInstanceOf(NotFoundError);
  });
});
