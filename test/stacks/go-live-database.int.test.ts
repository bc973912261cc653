import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

jest.setTimeout(300_000);

// Before go-live the release's way to its database is proved: PgBouncer's lookup verified
// (and repaired) again after preStart, and a login through PgBouncer as the project's role.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({}, { pgbouncer: {} });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

const DROPPING_MIGRATION = `import pg from "pg";

const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
// What the docs warn against: it takes PgBouncer's lookup function with it.
await client.query("DROP SCHEMA public CASCADE");
await client.query("CREATE SCHEMA public");
await client.query("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)");
await client.end();
console.log("migrated: notes");
`;

describe("going live", () => {
  it("repairs the lookup a preStart dropped, then logs in through PgBouncer before the release goes live", async () => {
    const repo = await fixtureRepo("pg-app", { "scripts/migrate.js": DROPPING_MIGRATION });
    const first = await stack.waitForEnd(
      await stack.deploy({ project: "dropper", repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: first.status, errorCode: first.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    const start = first.steps.find((s) => s.name === "start")!;
    // The preStart took the lookup with it: restored before the release started.
    expect(start.logTail).toMatch(/repaired .*user_lookup/);
    expect(start.logTail).toMatch(/database path verified/);
    const url = first.release!.url;
    expect((await fetchApp(`${url}/notes`, { method: "POST" })).status).toBe(201);
    expect(await (await fetchApp(`${url}/notes`)).json()).toMatchObject({
      notes: [{ id: 1, body: "written through node-postgres" }],
    });

    // A PgBouncer whose auth_query does not fit the lookup function: the next release is
    // refused before it starts, and the first one stays live.
    const bouncer = stack.bouncer!;
    const ini = path.join(path.dirname(bouncer.logFile), "pgbouncer.ini");
    const good = await readFile(ini, "utf8");
    await writeFile(ini, good.replace(/FROM \w+\.user_lookup/, "FROM nowhere.user_lookup"));
    await bouncer.stop();
    await bouncer.start();
    try {
      await repo.commit({ "README.md": "second\n" });
      const second = await stack.waitForEnd(
        await stack.deploy({ project: "dropper", repoUrl: repo.dir }),
        240_000,
      );
      expect({ status: second.status, errorCode: second.errorCode }).toEqual({
        status: "failed",
        errorCode: "BOUNCER_CONFIG_ERROR",
      });
      const refused = second.steps.find((s) => s.name === "start")!;
      expect(refused.evidence).toMatch(/bouncer config error/);
      expect(second.warnings).toContain(
        `not deployed; deployment ${first.id} (${first.commitSha!.slice(0, 12)}) is still live`,
      );
    } finally {
      await writeFile(ini, good);
      await bouncer.stop();
      await bouncer.start();
    }
  });
});
