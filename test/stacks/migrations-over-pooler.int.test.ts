import { jest } from "@jest/globals";
import pg from "pg";
import { projectCredentials } from "../../src/provisioning/project-credentials.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

jest.setTimeout(400_000);

// Migrations run from the build script with DATABASE_URL go through PgBouncer in transaction
// mode. Prisma's migrate takes a session advisory lock there, which stays on the pooled server
// connection after the run; while that connection is busy (a live app's transaction), the next
// run gets another one and waits out its 10 s: P1002. That is the app's setup, not an
// unreachable database to retry.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({}, { pgbouncer: {} });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

describe("prisma migrate deploy run from the build script, through PgBouncer", () => {
  it("times out on the lock a pooled connection holds: MIGRATION_THROUGH_POOLER, not retried, told to use preStart", async () => {
    const project = "pooled-migrations";
    const repo = await fixtureRepo("prisma-migrate-app", {
      "coduck.json": '{ "build": "prisma migrate deploy && tsc -p tsconfig.json" }\n',
    });
    const first = await stack.waitForEnd(
      await stack.deploy({ project, repoUrl: repo.dir }),
      240_000,
    );
    expect(first.status).toBe("succeeded");

    const admin = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres" });
    await admin.connect();
    const credentials = (await projectCredentials(stack, project))!;
    // Prisma's migrate lock (72707369) is left on a pooled server connection of the project's.
    const locks = await admin.query(
      "SELECT a.state FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.objid = 72707369 AND a.datname = $1",
      [credentials.database],
    );
    expect(locks.rows).toEqual([{ state: "idle" }]);

    // Traffic through PgBouncer holds that connection, as a live app's transactions do.
    const busy = new pg.Client(credentials.pooled);
    await busy.connect();
    await busy.query("BEGIN");
    await busy.query("SELECT 1");
    try {
      await repo.commit({ "README.md": "a later commit\n" });
      const record = await stack.waitForEnd(
        await stack.deploy({ project, repoUrl: repo.dir }),
        240_000,
      );
      expect({
        status: record.status,
        errorCode: record.errorCode,
        attempt: record.attempt,
      }).toEqual({ status: "failed", errorCode: "MIGRATION_THROUGH_POOLER", attempt: 1 });
      const build = record.steps.find((s) => s.name === "build")!;
      expect(build.evidence).toMatch(/Timed out trying to acquire a postgres advisory lock/);
      expect(record.hint).toMatch(/preStart/);
      expect(record.hint).toMatch(/DIRECT_URL/);
      expect(record.warnings).toContain(
        `not deployed; deployment ${first.id} (${first.commitSha!.slice(0, 12)}) is still live`,
      );
    } finally {
      await busy.query("COMMIT");
      await busy.end();
      // The server connections waiting on the lock, which PgBouncer would keep.
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
        [credentials.database],
      );
      await admin.end();
    }
  });
});
