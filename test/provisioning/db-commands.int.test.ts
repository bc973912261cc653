import pg from "pg";
import { onServer } from "../helpers/databases.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

let stack: TestStack;

beforeAll(async () => {
  // The lookup lives in a schema the app's role does not own.
  stack = await createTestStack(
    { PGBOUNCER_LOOKUP_SCHEMA: "coduck" },
    { pgbouncer: { lookupSchema: "coduck" } },
  );
});
afterAll(async () => {
  await stack?.close();
});

async function connect(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** Whether the server's catalog holds this database, and this role. */
async function inCatalog(database: string, role: string) {
  return onServer(async (c) => ({
    database: (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [database])).rowCount,
    role: (await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rowCount,
  }));
}

describe("coduck-worker provision and db", () => {
  it("provisions from the command line, then shows the database with passwords masked", async () => {
    const provisioned = await cli(["provision", "--project", "cli-db"], stack.env);
    expect(provisioned.exitCode).toBe(0);
    expect(provisioned.stdout).toMatch(
      /^database t\w+_cli_db_[0-9a-f]{10} of cli-db is provisioned/,
    );
    expect(provisioned.stdout).toMatch(/created function coduck\.user_lookup\(\)/);

    const again = await cli(["db", "repair", "--project", "cli-db"], stack.env);
    expect(again.stdout).toContain("nothing to create or repair");

    const info = await cli(["db", "info", "--project", "cli-db", "--json"], stack.env);
    expect(info.exitCode).toBe(0);
    const shown = JSON.parse(info.stdout as string);
    expect(shown.lookup).toEqual({
      schema: true,
      function: true,
      functionSafe: true,
      execute: true,
      usage: true,
    });
    expect(shown.databaseUrl).toMatch(/^postgresql:\/\/t\w+:\*{5}@127\.0\.0\.1:\d+\/t\w+$/);
    expect(shown.connectionLimit).toBe(20);

    const secret = JSON.parse(
      (await cli(["db", "info", "--project", "cli-db", "--json", "--show-secrets"], stack.env))
        .stdout as string,
    );
    const client = await connect(secret.databaseUrl);
    expect((await client.query("SELECT current_user AS u")).rows[0].u).toBe(shown.role);
    await client.end();
  });

  it("with the lookup outside public, DROP SCHEMA public CASCADE cannot break pooling", async () => {
    expect((await cli(["provision", "--project", "no-public"], stack.env)).exitCode).toBe(0);
    const info = JSON.parse(
      (await cli(["db", "info", "--project", "no-public", "--json", "--show-secrets"], stack.env))
        .stdout as string,
    );
    const direct = await connect(info.directUrl);
    await direct.query("DROP SCHEMA public CASCADE");
    await expect(direct.query("DROP SCHEMA coduck CASCADE")).rejects.toThrow(
      /must be owner of schema coduck/,
    );
    await expect(direct.query("DROP FUNCTION coduck.user_lookup(text)")).rejects.toThrow(
      /must be owner|permission denied for schema coduck/,
    );
    await direct.end();
    const pooled = await connect(info.databaseUrl);
    expect((await pooled.query("SELECT 1 AS ok")).rows).toEqual([{ ok: 1 }]);
    await pooled.end();
  });

  it("refuses hostile or malformed slugs with a clear error and touches nothing", async () => {
    const before = await stack.db.projectDatabase.count();
    for (const slug of [
      "x'; DROP DATABASE postgres; --",
      "$$",
      "ünïcode",
      "a".repeat(200),
      "Select",
    ]) {
      const run = await cli(["provision", "--project", slug], stack.env);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toBe(
        "coduck-worker: --project: must be 1 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit",
      );
    }
    expect(await stack.db.projectDatabase.count()).toBe(before);
  });

  it("drops a project's database only with the exact slug as confirmation", async () => {
    expect((await cli(["provision", "--project", "doomed"], stack.env)).exitCode).toBe(0);
    const { databaseName, roleName } = await stack.db.projectDatabase.findFirstOrThrow({
      where: { project: { slug: "doomed" } },
    });
    expect(await inCatalog(databaseName, roleName)).toEqual({ database: 1, role: 1 });
    const refused = await cli(
      ["db", "drop", "--project", "doomed", "--confirm", "dooomed"],
      stack.env,
    );
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toBe(
      "coduck-worker: refusing to drop the database of doomed: repeat the project slug with --confirm doomed",
    );
    expect(await inCatalog(databaseName, roleName)).toEqual({ database: 1, role: 1 });
    expect(await stack.db.projectDatabase.count({ where: { project: { slug: "doomed" } } })).toBe(
      1,
    );

    const dropped = await cli(
      ["db", "drop", "--project", "doomed", "--confirm", "doomed"],
      stack.env,
    );
    expect(dropped.exitCode).toBe(0);
    // Really gone from the server, not only forgotten by the worker.
    expect(await inCatalog(databaseName, roleName)).toEqual({ database: 0, role: 0 });
    expect(await stack.db.projectDatabase.count({ where: { project: { slug: "doomed" } } })).toBe(
      0,
    );
    const info = await cli(["db", "info", "--project", "doomed"], stack.env);
    expect(info.exitCode).toBe(2);
    expect(info.stderr).toContain("project doomed has no database yet");
  });
});
