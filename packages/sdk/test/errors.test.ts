// Every HTTP status maps to its error class, carrying status, request id and the server's body.
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  MalformedResponseError,
  NotFoundError,
  PaymentRequiredError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from "../src/index";
import { BASE_URL, fixtureJSON, makeClient, server, useMockApi } from "./support/mock-api";

useMockApi();

const params = { model: "mercury-2", messages: [{ role: "user" as const, content: "hi" }] };

function failWith(status: number, body: string | Record<string, unknown>, headers: Record<string, string> = {}) {
  server.use(
    http.post(`${BASE_URL}/chat/completions`, () =>
      typeof body === "string"
        ? new HttpResponse(body, { status, headers: { "content-type": "text/html", ...headers } })
        : HttpResponse.json(body, { status, headers: { "x-request-id": "req_err", ...headers } }),
    ),
  );
}

async function errorOf(promise: PromiseLike<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (error) {
    return error as APIError;
  }
  throw new Error("expected the call to fail");
}

describe("status errors", () => {
  it.each([
    [400, BadRequestError],
    [401, AuthenticationError],
    [402, PaymentRequiredError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [409, ConflictError],
    [422, UnprocessableEntityError],
    [429, RateLimitError],
    [500, InternalServerError],
    [503, InternalServerError],
    [418, APIError],
  ])("%i becomes %o with the body's fields", async (status, ErrorClass) => {
    failWith(status, { error: { message: "nope", type: "invalid_request_error", param: "model", code: "bad_model" } });
    const error = await errorOf(makeClient().chat.completions.create(params));

    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(APIError);
    expect(error.status).toBe(status);
    expect(error.message).toBe(`${status} nope`);
    expect(error.requestID).toBe("req_err");
    expect(error).toMatchObject({ type: "invalid_request_error", param: "model", code: "bad_model" });
    expect(error.body).toEqual({ error: expect.objectContaining({ message: "nope" }) });
  });

  it("renders a list of validation problems as field: message", async () => {
    failWith(422, fixtureJSON<Record<string, unknown>>("error-validation.json"));
    const error = await errorOf(makeClient().chat.completions.create(params));

    expect(error).toBeInstanceOf(UnprocessableEntityError);
    expect(error.message).toBe(
      "422 reasoning_effort: Input should be 'instant', 'low', 'medium' or 'high'; max_tokens: Input should be less than or equal to 50000",
    );
    expect(error.issues).toHaveLength(2);
    expect(error.issues?.[0]?.input).toBe("banana");
  });

  it("keeps a non-JSON error body as text", async () => {
    failWith(502, "<html>Bad gateway</html>");
    const error = await errorOf(makeClient().chat.completions.create(params));
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error.body).toBe("<html>Bad gateway</html>");
    expect(error.message).toBe("502 <html>Bad gateway</html>");
  });

  it("keeps a JSON error body that has no error object", async () => {
    failWith(404, { detail: "Not Found" });
    const error = await errorOf(makeClient().chat.completions.create(params));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.body).toEqual({ detail: "Not Found" });
    expect(error.message).toBe('404 {"detail":"Not Found"}');
  });

  it("says so when the body is empty", async () => {
    server.use(http.post(`${BASE_URL}/chat/completions`, () => new HttpResponse(null, { status: 500 })));
    const error = await errorOf(makeClient().chat.completions.create(params));
    expect(error.message).toBe("500 status code (no body)");
  });

  it("reads retry-after on rate limits", async () => {
    failWith(429, { error: { message: "slow down" } }, { "retry-after": "7" });
    const error = await errorOf(makeClient().chat.completions.create(params));
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(7000);
  });
});

describe("response and connection failures", () => {
  it("a success that is not JSON is a MalformedResponseError", async () => {
    server.use(http.post(`${BASE_URL}/chat/completions`, () => HttpResponse.text("upstream exploded")));
    const error = await errorOf(makeClient().chat.completions.create(params));
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error.message).toMatch(/not JSON: upstream exploded/);
  });

  it("truncated JSON in a success body is a MalformedResponseError", async () => {
    server.use(
      http.post(
        `${BASE_URL}/chat/completions`,
        () => new HttpResponse('{"id":"x","choices":[', { headers: { "content-type": "application/json" } }),
      ),
    );
    await expect(makeClient().chat.completions.create(params)).rejects.toBeInstanceOf(MalformedResponseError);
  });

  it("a refused connection is an APIConnectionError naming the cause", async () => {
    const client = makeClient({ baseURL: "http://127.0.0.1:9/v1" });
    server.use(http.post("http://127.0.0.1:9/v1/chat/completions", () => HttpResponse.error()));
    const error = await errorOf(client.chat.completions.create(params));
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error.status).toBeUndefined();
  });
});
