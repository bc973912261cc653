import type { FastifyInstance } from "fastify";
import { QUEUE_LIST_TTL_MS } from "../../src/http/admin/routes/admin-queues.js";
import { addHost } from "../../src/store/hosts.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";

// Bull Board at /admin/queues follows the Host table: a host registered after the HTTP process
// started shows its queues there, and a host whose row is gone leaves it.
const TOKEN = "admin-queues-hosts-test-token-0123456789";

let stack: TestStack;
let app: FastifyInstance;

beforeAll(async () => {
  stack = await createTestStack({ HOST_ID: "aq-first", ADMIN_TOKEN: TOKEN });
  await addHost(stack.db, { id: "aq-first", address: "127.0.0.1:1", maxProjects: 10 });
  app = await buildTestApp(stack);
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

async function boardQueues(): Promise<string[]> {
  const response = await app.inject({
    url: "/admin/queues/api/queues",
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(response.statusCode).toBe(200);
  return (response.json() as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
}

it("lists a host registered after the server started, and drops one whose row is gone", async () => {
  expect(await boardQueues()).toEqual(
    expect.arrayContaining(["deploys@aq-first", "housekeeping@aq-first", "notify"]),
  );
  expect(await boardQueues()).not.toContain("deploys@aq-late");

  await addHost(stack.db, { id: "aq-late", address: "10.0.0.9:8080", maxProjects: 10 });
  const started = Date.now();
  await waitFor(
    "the late host's queues on the board",
    async () => (await boardQueues()).includes("deploys@aq-late"),
    QUEUE_LIST_TTL_MS + 10_000,
  );
  expect(Date.now() - started).toBeLessThan(QUEUE_LIST_TTL_MS + 5_000);
  expect(await boardQueues()).toContain("housekeeping@aq-late");

  await stack.db.host.delete({ where: { id: "aq-late" } });
  await waitFor(
    "the removed host's queues gone from the board",
    async () => !(await boardQueues()).includes("deploys@aq-late"),
    QUEUE_LIST_TTL_MS + 10_000,
  );
  expect(await boardQueues()).toContain("deploys@aq-first");
}, 60_000);
