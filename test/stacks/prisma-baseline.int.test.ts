import { mkdirSync, readFileSync } from "node:fs";
import { jest } from "@jest/globals";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

jest.setTimeout(400_000);

// The switch the docs recommend: from CoDuck's automatic `prisma db push` to real migrations
// with `"preStart": "prisma migrate deploy"`. The pushed tables have no migration history, so
// migrate deploy stops with P3005; `coduck-worker db baseline` is the way out, without a URL.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({}, { pgbouncer: {} });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

const PROJECT = "prisma-baseline";
type Notes = { notes: { id: number; body: string; title?: string | null }[] };

describe("db baseline after switching from the automatic push to prisma migrate deploy", () => {
  it("P3005 names db baseline; baseline marks the pushed migration applied; the retry applies the next and keeps the rows", async () => {
    // Zero-config: the schema is pushed, the committed migrations are not run.
    const repo = await fixtureRepo("prisma-migrate-app", { "coduck.json": "{}\n" });
    const pushed = await stack.waitForEnd(
      await stack.deploy({ project: PROJECT, repoUrl: repo.dir }),
      240_000,
    );
    expect(pushed.status).toBe("succeeded");
    const url = pushed.release!.url;
    for (let i = 0; i < 2; i++) {
      expect((await fetchApp(`${url}/notes`, { method: "POST" })).status).toBe(201);
    }

    // The switch, with a second migration the push never applied.
    const schema = readFileSync(`${repo.dir}/prisma/schema.prisma`, "utf8");
    mkdirSync(`${repo.dir}/prisma/migrations/20261202000000_title`);
    await repo.commit({
      "coduck.json": '{ "preStart": "prisma migrate deploy" }\n',
      "prisma/schema.prisma": schema.replace(
        "  body      String\n",
        "  body      String\n  title     String?\n",
      ),
      "prisma/migrations/20261202000000_title/migration.sql":
        '-- AlterTable\nALTER TABLE "Note" ADD COLUMN "title" TEXT;\n',
    });
    const refused = await stack.waitForEnd(
      await stack.deploy({ project: PROJECT, repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: refused.status, errorCode: refused.errorCode }).toEqual({
      status: "failed",
      errorCode: "MIGRATION_FAILED",
    });
    expect(refused.steps.find((s) => s.name === "schema")!.evidence).toMatch(/P3005/);
    expect(refused.hint).toContain(`coduck-worker db baseline --project ${PROJECT}`);
    expect(refused.hint).not.toMatch(/postgres(?:ql)?:\/\//);
    const still = (await (await fetchApp(`${url}/notes`)).json()) as Notes;
    expect(still.notes).toHaveLength(2);

    const baseline = await cli(["db", "baseline", "--project", PROJECT], stack.env);
    expect({ exitCode: baseline.exitCode, stderr: baseline.stderr }).toEqual({
      exitCode: 0,
      stderr: "",
    });
    expect(baseline.stdout).toBe(
      [
        "marked 20261201000000_init as applied (already in the database: table Note)",
        "left for prisma migrate deploy: 20261202000000_title",
        `deploy again: coduck-worker retry ${refused.id}`,
      ].join("\n"),
    );

    const retried = await cli(["retry", refused.id, "--wait"], stack.env);
    expect(retried.exitCode).toBe(0);
    const retry = await stack.db.deployment.findFirstOrThrow({ where: { retryOfId: refused.id } });
    const after = await stack.waitForEnd(retry.id, 10_000);
    expect(after.status).toBe("succeeded");
    const schemaStep = after.steps.find((s) => s.name === "schema")!;
    expect(schemaStep.logTail).toMatch(/20261202000000_title/);
    const liveUrl = after.release!.url;
    expect((await fetchApp(`${liveUrl}/notes`, { method: "POST" })).status).toBe(201);
    const served = (await (await fetchApp(`${liveUrl}/notes`)).json()) as Notes;
    expect(served.notes.map((n) => n.id)).toEqual([1, 2, 3]);
    expect(served.notes[2]).toHaveProperty("title", null);

    // A database with a migration history is not baselined again.
    const again = await cli(["db", "baseline", "--project", PROJECT], stack.env);
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr).toContain("already records 2 applied migration(s) in _prisma_migrations");
    expect(again.stderr).not.toMatch(/\n\s+at /);
  });
});
