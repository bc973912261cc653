import { readFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import { asProjectRole } from "../helpers/as-project-role.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

jest.setTimeout(300_000);

// The docs' Drizzle path, verbatim: `"preStart": "drizzle-kit push"`.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({}, { pgbouncer: {} });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

describe("a Drizzle app with preStart `drizzle-kit push`", () => {
  it("deploys and reads and writes through PgBouncer; a push that refused data loss and exited 0 fails the schema step", async () => {
    const repo = await fixtureRepo("drizzle-app");
    const first = await stack.waitForEnd(
      await stack.deploy({ project: "drizzle", repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: first.status, errorCode: first.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    expect(first.steps.find((s) => s.name === "schema")!.logTail).toMatch(/Changes applied/);
    const url = first.release!.url;
    expect((await fetchApp(`${url}/notes`, { method: "POST" })).status).toBe(201);
    expect(await (await fetchApp(`${url}/notes`)).json()).toMatchObject({
      app: "drizzle-app",
      notes: [{ id: 1, title: "hello", body: "written through Drizzle" }],
    });

    // Dropping a column that holds a row: drizzle-kit asks, cannot, applies nothing, exits 0.
    const schemaFile = path.join(repo.dir, "src", "schema.js");
    const withoutTitle = (await readFile(schemaFile, "utf8")).replace(/^.*title: text.*\n/m, "");
    await repo.commit({ "src/schema.js": withoutTitle });
    const second = await stack.waitForEnd(
      await stack.deploy({ project: "drizzle", repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: second.status, errorCode: second.errorCode }).toEqual({
      status: "failed",
      errorCode: "DESTRUCTIVE_CHANGE_BLOCKED",
    });
    const schema = second.steps.find((s) => s.name === "schema")!;
    expect(schema.exitCode).toBe(0);
    expect(schema.evidence).toBe(
      "· You're about to delete title column in notes table with 1 items",
    );
    expect(second.hint).toMatch(/drizzle-kit migrate/);
    expect(second.warnings).toContain(
      `not deployed; deployment ${first.id} (${first.commitSha!.slice(0, 12)}) is still live`,
    );
    expect(await (await fetchApp(`${url}/notes`)).json()).toMatchObject({
      notes: [{ title: "hello" }],
    });
  });
});

describe("the Auth SDK's tables beside a Drizzle app with preStart `drizzle-kit push`", () => {
  it("a push that would drop them is not run: DESTRUCTIVE_CHANGE_BLOCKED, the tables stay, the previous release keeps serving", async () => {
    const project = "drizzle-auth";
    const repo = await fixtureRepo("drizzle-app");
    const first = await stack.waitForEnd(
      await stack.deploy({ project, repoUrl: repo.dir }),
      240_000,
    );
    expect(first.status).toBe("succeeded");
    const url = first.release!.url;
    expect((await fetchApp(`${url}/notes`, { method: "POST" })).status).toBe(201);

    // The Auth SDK sets up its tables in the same database; none holds a row yet, so
    // drizzle-kit, which does not know them, would drop them without asking.
    await asProjectRole(stack, project, (client) =>
      client.query(
        "CREATE TABLE auth_users (id text PRIMARY KEY, email text NOT NULL); CREATE TABLE auth_sessions (id text PRIMARY KEY, user_id text NOT NULL)",
      ),
    );
    await repo.commit({ "README.md": "a later commit\n" });
    const second = await stack.waitForEnd(
      await stack.deploy({ project, repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: second.status, errorCode: second.errorCode }).toEqual({
      status: "failed",
      errorCode: "DESTRUCTIVE_CHANGE_BLOCKED",
    });
    const schema = second.steps.find((s) => s.name === "schema")!;
    expect(schema.evidence).toBe(
      'DROP TABLE "auth_sessions" CASCADE;\nDROP TABLE "auth_users" CASCADE;',
    );
    expect(schema.command).toBe("drizzle-kit push --strict --verbose");
    expect(second.hint).toContain('tablesFilter: ["!auth_*"]');
    expect(second.warnings).toContain(
      `not deployed; deployment ${first.id} (${first.commitSha!.slice(0, 12)}) is still live`,
    );
    const tables = await asProjectRole(stack, project, (client) =>
      client.query<{ tablename: string }>(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
      ),
    );
    expect(tables.rows.map((row) => row.tablename)).toEqual([
      "auth_sessions",
      "auth_users",
      "notes",
    ]);
    expect(await (await fetchApp(`${url}/notes`)).json()).toMatchObject({ notes: [{ id: 1 }] });

    // With the tables left out of the push, as the fix says, it deploys and keeps them.
    const config = await readFile(path.join(repo.dir, "drizzle.config.js"), "utf8");
    await repo.commit({
      "drizzle.config.js": config.replace(
        'dialect: "postgresql",',
        'dialect: "postgresql",\n  tablesFilter: ["!auth_*"],',
      ),
    });
    const third = await stack.waitForEnd(
      await stack.deploy({ project, repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: third.status, errorCode: third.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    const after = await asProjectRole(stack, project, (client) =>
      client.query<{ tablename: string }>(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
      ),
    );
    expect(after.rows.map((row) => row.tablename)).toEqual([
      "auth_sessions",
      "auth_users",
      "notes",
    ]);
  });
});
