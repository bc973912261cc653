import { readFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import { ensureProjectDatabase } from "../../src/provisioning/provision-project.js";
import { queryAt } from "../helpers/databases.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

jest.setTimeout(240_000);

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({}, { pgbouncer: {} });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

const deps = () => ({ db: stack.db, config: stack.config, keyring: stack.keyring });

describe("the schema step", () => {
  it("pushes a Prisma schema additively: creates its tables, keeps unknown ones, refuses data loss", async () => {
    // The Auth SDK's tables exist before the app's first deploy: one with rows, one empty.
    const { directUrl } = await ensureProjectDatabase(deps(), "blog");
    await queryAt(
      directUrl,
      "CREATE TABLE auth_users (id serial PRIMARY KEY, email text); INSERT INTO auth_users (email) VALUES ('a@b.c')",
    );
    await queryAt(directUrl, "CREATE TABLE auth_sessions (id serial PRIMARY KEY)");

    const repo = await fixtureRepo("prisma-app");
    const first = await stack.waitForEnd(
      await stack.deploy({ project: "blog", repoUrl: repo.dir }),
      180_000,
    );
    expect({ status: first.status, errorCode: first.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    const schema = first.steps.find((s) => s.name === "schema")!;
    expect(schema.status).toBe("succeeded");
    expect(schema.logTail).toMatch(
      /keeping what prisma\/schema.prisma does not declare: .*public.auth_sessions/,
    );
    // The schema gate checked the push against the create script the push read first: Prisma
    // wrote it once, not a second time for the gate.
    expect(schema.logTail).toContain(
      "schema check: the 2 table(s) and 5 column(s) prisma/schema.prisma declares all exist",
    );
    expect(schema.command!.match(/prisma migrate diff --from-empty/g)).toHaveLength(1);

    const tables = await queryAt(
      directUrl,
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    expect(tables.map((t) => t.tablename)).toEqual([
      "Author",
      "Post",
      "auth_sessions",
      "auth_users",
    ]);
    await queryAt(
      directUrl,
      `INSERT INTO "Author" (name) VALUES ('Ada'); INSERT INTO "Post" (title, "authorId") VALUES ('Hello', 1)`,
    );
    // The app reads them with Prisma Client, through PgBouncer.
    const served = await (await fetchApp(first.release!.url)).json();
    expect(served).toMatchObject({
      app: "prisma-app",
      posts: [{ title: "Hello", author: { name: "Ada" } }],
    });

    // A push that drops a column holding data is refused; the first release keeps serving.
    const schemaFile = path.join(repo.dir, "prisma", "schema.prisma");
    const withoutTitle = (await readFile(schemaFile, "utf8")).replace(
      /^\s*title\s+String\s*$/m,
      "",
    );
    await repo.commit({ "prisma/schema.prisma": withoutTitle });
    const second = await stack.waitForEnd(
      await stack.deploy({ project: "blog", repoUrl: repo.dir }),
      180_000,
    );
    expect(second.status).toBe("failed");
    expect(second.errorCode).toBe("DESTRUCTIVE_CHANGE_BLOCKED");
    const refused = second.steps.find((s) => s.name === "schema")!;
    expect(refused.evidence).toMatch(
      /drop the column `title` on the `Post` table, which still contains 1 non-null value/,
    );
    expect(second.hint).toMatch(/migrat/i);
    expect(second.warnings).toContain(
      `not deployed; deployment ${first.id} (${first.commitSha!.slice(0, 12)}) is still live`,
    );
    expect(await (await fetchApp(first.release!.url)).json()).toMatchObject({
      posts: [{ title: "Hello" }],
    });

    const after = await queryAt(
      directUrl,
      "SELECT (SELECT count(*) FROM auth_users)::int AS users, (SELECT count(*) FROM information_schema.columns WHERE table_name = 'Post' AND column_name = 'title')::int AS title",
    );
    expect(after).toEqual([{ users: 1, title: 1 }]);
    expect(
      await queryAt(directUrl, "SELECT to_regclass('public.auth_sessions') IS NOT NULL AS kept"),
    ).toEqual([{ kept: true }]);
  });

  it("runs a coduck.json preStart instead, over the direct URL, and nothing else", async () => {
    const repo = await fixtureRepo("prestart-app");
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "notes", repoUrl: repo.dir }),
      120_000,
    );
    expect({ status: record.status, errorCode: record.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    const schema = record.steps.find((s) => s.name === "schema")!;
    expect(schema.command).toBe("npm run migrate");
    // The direct address inside the box (the host's direct port is 5432 here).
    expect(schema.logTail).toContain("migrating through port 5433");
    expect(await (await fetchApp(record.release!.url)).json()).toEqual({ notes: ["first note"] });
  });

  it("fails the deploy at checkout on an invalid coduck.json or a reserved variable", async () => {
    const broken = await fixtureRepo("node-http", {
      "coduck.json": '{ "start": "node src/index.js", }',
    });
    const invalid = await stack.waitForEnd(
      await stack.deploy({ project: "cfg", repoUrl: broken.dir }),
    );
    expect(invalid.errorCode).toBe("CONFIG_INVALID");
    expect(invalid.steps[1]!.evidence).toBe(
      "coduck.json is not valid JSON: line 1, column 33: a property name in double quotes was expected (no trailing commas)",
    );

    const reserved = await fixtureRepo("node-http", {
      "coduck.json": JSON.stringify({ env: { DIRECT_URL: "postgres://x/y" } }),
    });
    const refused = await stack.waitForEnd(
      await stack.deploy({ project: "cfg", repoUrl: reserved.dir }),
    );
    expect(refused.errorCode).toBe("RESERVED_ENV");
    expect(refused.steps[1]!.evidence).toMatch(
      /^coduck.json env sets DIRECT_URL: it is reserved and injected by the platform/,
    );
  });
});
