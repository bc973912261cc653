import Fastify, { type FastifyInstance } from "fastify";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Every HTTP route but the public ones (health and readiness; metrics, which METRICS_TOKEN
// guards when set; the webhook, which checks its own signature; the dashboard's login form and
// its stylesheet and script) is the operator's: without ADMIN_TOKEN's credentials it answers 401 or 403.
// A new route is covered the day it is registered; a route meant to be public is added here.
const PUBLIC = [
  // /caddy/ask: Caddy asks it before getting a certificate, with no credentials; it says only
  // whether a host is a registered project's address, which that address answering says too.
  ...["/healthz", "/readyz", "/metrics", "/admin/login", "/caddy/ask"].flatMap((path) => [
    `GET ${path}`,
    `HEAD ${path}`,
  ]),
  ...["/admin/assets/dashboard.css", "/admin/assets/live-log.js"].flatMap((path) => [
    `GET ${path}`,
    `HEAD ${path}`,
  ]),
  "POST /admin/login",
  "POST /webhooks/github",
];
const ADMIN_TOKEN = "admin-token-for-route-tests-0123456789";

let stack: TestStack;
let app: FastifyInstance;

beforeAll(async () => {
  stack = await createTestStack({
    ADMIN_TOKEN,
    GITHUB_WEBHOOK_SECRET: "route-test-secret-0123456789",
  });
  app = await buildTestApp(stack);
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

/** Every registered "METHOD /path", read from fastify's route tree (a child's path continues its parent's). */
function registeredRoutes(instance: FastifyInstance): string[] {
  const routes: string[] = [];
  const parents: string[] = [];
  for (const line of instance.printRoutes({ commonPrefix: false }).split("\n")) {
    const match = /^([│├└─ ]*)(\S+)(?: \(([^)]+)\))?\s*$/.exec(line);
    if (!match) continue;
    const depth = Math.floor(match[1]!.length / 4);
    const full = (parents[depth - 1] ?? "") + match[2]!;
    parents[depth] = full;
    parents.length = depth + 1;
    for (const method of match[3]?.split(",") ?? []) routes.push(`${method.trim()} ${full}`);
  }
  return routes;
}

it("finds the public routes in the route tree, and nested ones by their full path", async () => {
  expect(registeredRoutes(app)).toEqual(expect.arrayContaining(PUBLIC));
  const nested = Fastify();
  nested.get("/admin/deployments", async () => []);
  nested.get("/admin/deployments/:id", async () => ({}));
  nested.post("/admin/deployments/:id/cancel", async () => ({}));
  await nested.ready();
  expect(registeredRoutes(nested).sort()).toEqual(
    [
      "GET /admin/deployments",
      "HEAD /admin/deployments",
      "GET /admin/deployments/:id",
      "HEAD /admin/deployments/:id",
      "POST /admin/deployments/:id/cancel",
    ].sort(),
  );
  await nested.close();
});

it("refuses every operator route without credentials, or with wrong ones", async () => {
  const guarded = registeredRoutes(app).filter((route) => !PUBLIC.includes(route));
  const open: string[] = [];
  let tries = 0;
  for (const route of guarded) {
    const [method, pattern] = route.split(" ") as [string, string];
    const url = pattern
      .replace(/:[^/]+/g, "00000000-0000-4000-8000-000000000000")
      .replace(/\*$/, "x");
    for (const headers of [{}, { authorization: "Bearer wrong-token-0123456789" }]) {
      // Each from an address of its own: the token is checked, not refused for too many tries.
      const remoteAddress = `10.0.${Math.floor(tries / 250)}.${(tries % 250) + 1}`;
      tries++;
      const response = await app.inject({ method: method as "GET", url, headers, remoteAddress });
      if (![401, 403].includes(response.statusCode))
        open.push(`${route} ${JSON.stringify(headers)} answered ${response.statusCode}`);
    }
  }
  expect(open).toEqual([]);
});
