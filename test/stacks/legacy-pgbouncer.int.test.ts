import { jest } from "@jest/globals";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { LEGACY_PGBOUNCER_BIN } from "../helpers/pgbouncer.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

jest.setTimeout(300_000);

// The one test that keeps Debian bookworm's PgBouncer 1.18, which cannot pool prepared
// statements, with the legacy setting: PGBOUNCER_MAX_PREPARED_STATEMENTS=0 (DATABASE_URL then
// carries pgbouncer=true). Every other stack runs 1.24 with max_prepared_statements = 100.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack(
    { PGBOUNCER_MAX_PREPARED_STATEMENTS: "0" },
    { pgbouncer: { bin: LEGACY_PGBOUNCER_BIN, maxPreparedStatements: 0 } },
  );
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

describe("PgBouncer 1.18 with max_prepared_statements = 0", () => {
  it("deploys a Knex app that logs in, reads and writes through it", async () => {
    expect(stack.config.pgbouncer.maxPreparedStatements).toBe(0);
    const repo = await fixtureRepo("knex-app");
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "legacy-bouncer", repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: record.status, errorCode: record.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    expect(record.steps.find((s) => s.name === "start")!.logTail).toMatch(/database path verified/);
    const url = record.release!.url;
    expect((await fetchApp(`${url}/notes`, { method: "POST" })).status).toBe(201);
    expect(await (await fetchApp(`${url}/notes`)).json()).toMatchObject({
      app: "knex-app",
      notes: [{ id: 1, body: "written through Knex" }],
    });
  });
});
