import { projectDatabaseName } from "../../src/provisioning/names.js";
import { ensureProjectDatabase } from "../../src/provisioning/provision-project.js";
import { onServer, queryAt } from "../helpers/databases.js";
import { createSecondHost, type SecondHost } from "../helpers/second-host.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Two hosts of one installation on this machine (issue 24): h1 on the tests' cluster and
// PgBouncer of its own, h2 on a second cluster made with pg_createcluster (one per test file).
let h1: TestStack;
let h2: SecondHost;

beforeAll(async () => {
  h1 = await createTestStack({ HOST_ID: "h1" }, { pgbouncer: {} });
  h2 = await createSecondHost(h1, { hostId: "h2" });
}, 120_000);
afterAll(async () => {
  await h2?.close();
  await h1?.close();
}, 120_000);

async function mainClusterDatabases(): Promise<string[]> {
  return onServer(async (c) =>
    (await c.query<{ datname: string }>("SELECT datname FROM pg_database")).rows.map(
      (r) => r.datname,
    ),
  );
}

describe("two hosts on one machine", () => {
  it("each host provisions on its own cluster, reached through its own PgBouncer", async () => {
    const deps = (stack: TestStack) => ({
      db: stack.db,
      config: stack.config,
      keyring: stack.keyring,
    });
    const alpha = await ensureProjectDatabase(deps(h1), "alpha");
    const beta = await ensureProjectDatabase(deps(h2), "beta");
    const prefix = h1.config.projectDatabasePrefix;
    expect(h2.config.projectDatabasePrefix).toBe(prefix);
    expect([alpha.database, beta.database]).toEqual([
      projectDatabaseName(prefix, "alpha"),
      projectDatabaseName(prefix, "beta"),
    ]);

    const onMain = await mainClusterDatabases();
    const onSecond = await h2.cluster.databases();
    expect(onMain).toContain(alpha.database);
    expect(onMain).not.toContain(beta.database);
    expect(onSecond).toContain(beta.database);
    expect(onSecond).not.toContain(alpha.database);

    // The apps' URLs point at each host's own PgBouncer and cluster, and work there.
    expect(new URL(beta.databaseUrl).port).toBe(String(h2.bouncer.port));
    expect(new URL(beta.directUrl).port).toBe(String(h2.cluster.port));
    expect(new URL(alpha.databaseUrl).port).toBe(String(h1.bouncer!.port));
    for (const project of [alpha, beta])
      for (const url of [project.databaseUrl, project.directUrl])
        expect(await queryAt(url, "SELECT current_database() AS db")).toEqual([
          { db: project.database },
        ]);
  });
});
