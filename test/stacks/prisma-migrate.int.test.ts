import { mkdirSync, readFileSync } from "node:fs";
import { jest } from "@jest/globals";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

jest.setTimeout(300_000);

// The docs' recommended Prisma path: real migration files, `"preStart": "prisma migrate deploy"`
// copied verbatim, a TypeScript build that imports the generated client, and npm 11 skipping
// every install script of Prisma's (so nothing but the worker generates the client).
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({}, { pgbouncer: {} });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

describe("a Prisma app with preStart `prisma migrate deploy`", () => {
  it("generates the client before the build, migrates, and reads and writes through PgBouncer", async () => {
    const repo = await fixtureRepo("prisma-migrate-app");
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "prisma-migrate", repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: record.status, errorCode: record.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    const build = record.steps.find((s) => s.name === "build")!;
    expect(build.command).toMatch(
      /node_modules\/\.bin\/prisma generate --schema prisma\/schema\.prisma && npm run build$/,
    );
    const schema = record.steps.find((s) => s.name === "schema")!;
    expect(schema.command).toMatch(/^prisma migrate deploy/);
    expect(schema.logTail).toMatch(/20261201000000_init/);

    const url = record.release!.url;
    const created = await fetchApp(`${url}/notes`, { method: "POST" });
    expect(created.status).toBe(201);
    expect(await (await fetchApp(`${url}/notes`)).json()).toMatchObject({
      app: "prisma-migrate-app",
      notes: [{ id: 1, body: "written through Prisma" }],
    });

    // A later migration that cannot run on that row: a required column, its default left out of
    // the hand-written SQL.
    const schemaFile = readFileSync(`${repo.dir}/prisma/schema.prisma`, "utf8");
    mkdirSync(`${repo.dir}/prisma/migrations/20261202000000_title`);
    await repo.commit({
      "prisma/schema.prisma": schemaFile.replace(
        "  body      String\n",
        '  body      String\n  title     String   @default("")\n',
      ),
      "prisma/migrations/20261202000000_title/migration.sql":
        '-- AlterTable\nALTER TABLE "Note" ADD COLUMN "title" TEXT NOT NULL;\n',
    });
    const next = await stack.waitForEnd(
      await stack.deploy({ project: "prisma-migrate", repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: next.status, errorCode: next.errorCode }).toEqual({
      status: "failed",
      errorCode: "MIGRATION_FAILED",
    });
    const failed = next.steps.find((s) => s.name === "schema")!;
    expect(failed.status).toBe("failed");
    // Prisma's JS schema engine names the constraint and the migration, not Postgres's message.
    expect(failed.evidence).toMatch(/Null constraint failed/);
    expect(failed.evidence).toMatch(/with migration_name="20261202000000_title"/);
    expect(next.warnings).toContain(
      `not deployed; deployment ${record.id} (${record.commitSha!.slice(0, 12)}) is still live`,
    );
    expect(await (await fetchApp(`${url}/notes`)).json()).toMatchObject({
      notes: [{ id: 1, body: "written through Prisma" }],
    });
  });
});
