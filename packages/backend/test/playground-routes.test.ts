// The playground's routes on their own: what a server without built files answers.
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { playgroundRoutes } from "../src/server/playground-routes";

describe("playgroundRoutes", () => {
  it("without built files, the page answers 404 saying how to build it, and / still redirects", async () => {
    const app = Fastify();
    const routes = playgroundRoutes(app, undefined);
    const page = await app.inject({ method: "GET", url: "/playground/" });
    expect(page.statusCode).toBe(404);
    expect(page.json().error.message).toMatch(/pnpm build/);
    expect((await app.inject({ method: "GET", url: "/" })).statusCode).toBe(302);
    expect([...routes].sort()).toEqual(["/", "/playground", "/playground/"]);
    await app.close();
  });
});
