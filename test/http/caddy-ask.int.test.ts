import type { FastifyInstance } from "fastify";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

let stack: TestStack;
let app: FastifyInstance;

beforeAll(async () => {
  stack = await createTestStack({ APPS_DOMAIN: "apps.example.test" });
  app = await buildTestApp(stack);
  await stack.db.project.create({
    data: { slug: "shop", repoUrl: "https://example.com/shop.git" },
  });
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

const ask = (domain: string) =>
  app.inject({ method: "GET", url: `/caddy/ask?domain=${encodeURIComponent(domain)}` });

describe("GET /caddy/ask, served by the worker's HTTP intake", () => {
  it("lets Caddy get a certificate for a registered project's address only", async () => {
    expect((await ask("shop.apps.example.test")).statusCode).toBe(200);
    for (const domain of [
      "nobody.apps.example.test",
      "shop.apps.example.test.",
      "SHOP.apps.example.test",
      "x.shop.apps.example.test",
      "shop.example.test",
      "apps.example.test",
    ])
      expect([domain, (await ask(domain)).statusCode]).toEqual([domain, 404]);
    expect((await app.inject({ method: "GET", url: "/caddy/ask" })).statusCode).toBe(404);
  });
});
