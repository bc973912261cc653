import pg from "pg";
import { projectDatabaseName } from "../../src/provisioning/names.js";
import {
  ensureProjectDatabase,
  provisionProject,
} from "../../src/provisioning/provision-project.js";
import { onServer } from "../helpers/databases.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ PROJECT_CONNECTION_LIMIT: "7" }, { pgbouncer: {} });
});
afterAll(async () => {
  await stack?.close();
});

const deps = () => ({ db: stack.db, config: stack.config, keyring: stack.keyring });

async function query(url: string, sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function connectError(url: string): Promise<string> {
  try {
    await query(url, "SELECT 1");
  } catch (error) {
    return (error as Error).message;
  }
  return "connected";
}

describe("provisioning", () => {
  it("creates a private database and role, reachable through PgBouncer and directly", async () => {
    const first = await ensureProjectDatabase(deps(), "alpha");
    expect(first.fastPath).toBe(false);
    expect(first.database).toBe(projectDatabaseName(stack.config.projectDatabasePrefix, "alpha"));
    expect(first.actions).toEqual(
      expect.arrayContaining([
        `created role ${first.database}`,
        `created database ${first.database}`,
      ]),
    );
    expect(first.password.length).toBeGreaterThanOrEqual(43); // 32 random bytes

    // PgBouncer 1.24 with max_prepared_statements = 100 (the platform's): no pgbouncer=true.
    const pooled = new URL(first.databaseUrl);
    expect([pooled.hostname, pooled.port, pooled.searchParams.get("pgbouncer")]).toEqual([
      "127.0.0.1",
      String(stack.config.pgbouncer.port),
      null,
    ]);
    expect(
      await query(first.databaseUrl, "SELECT current_user AS u, current_database() AS d"),
    ).toEqual([{ u: first.database, d: first.database }]);
    expect(new URL(first.directUrl).port).toBe("5432");
    expect(await query(first.directUrl, "SELECT current_user AS u")).toEqual([
      { u: first.database },
    ]);

    // A wrong password is refused by PgBouncer's SCRAM check against the lookup.
    const wrong = new URL(first.databaseUrl);
    wrong.password = "not-the-password";
    expect(await connectError(wrong.toString())).toMatch(
      /password authentication failed|SASL authentication failed/,
    );
  });

  it("gives the role LOGIN and nothing more, its connection limit, and its database alone", async () => {
    const { database } = await ensureProjectDatabase(deps(), "alpha");
    const [role] = await onServer(
      async (c) =>
        (
          await c.query(
            `SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolconnlimit,
                  (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1) AS owner,
                  (SELECT datacl::text FROM pg_database WHERE datname = $1) AS acl
             FROM pg_roles WHERE rolname = $1`,
            [database],
          )
        ).rows,
    );
    expect(role).toMatchObject({
      rolcanlogin: true,
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolreplication: false,
      rolbypassrls: false,
      rolconnlimit: 7,
      owner: database,
    });
    // No `=c/...` entry: PUBLIC may not connect.
    expect(role.acl).not.toMatch(/(^|[{,])=/);
  });

  it("keeps projects apart: A cannot connect to B, nor create databases or roles", async () => {
    const a = await ensureProjectDatabase(deps(), "alpha");
    const b = await ensureProjectDatabase(deps(), "bravo");
    await query(
      b.directUrl,
      "CREATE TABLE secrets (v text); INSERT INTO secrets VALUES ('b-only')",
    );

    const aIntoB = new URL(a.directUrl);
    aIntoB.pathname = `/${b.database}`;
    expect(await connectError(aIntoB.toString())).toMatch(/permission denied for database/);
    const aIntoBPooled = new URL(a.databaseUrl);
    aIntoBPooled.pathname = `/${b.database}`;
    expect(await connectError(aIntoBPooled.toString())).not.toBe("connected");

    await expect(query(a.directUrl, "CREATE DATABASE stolen")).rejects.toThrow(
      /permission denied to create database/,
    );
    await expect(query(a.directUrl, "CREATE ROLE sneaky")).rejects.toThrow(
      /permission denied to create role/,
    );
    await expect(query(a.directUrl, "SELECT * FROM pg_catalog.pg_shadow")).rejects.toThrow(
      /permission denied/,
    );
    // The lookup function answers only for the project's own role.
    expect(
      await query(
        a.directUrl,
        "SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'user_lookup'",
      ),
    ).toEqual([{ n: 1 }]);
    await expect(
      query(a.directUrl, "SELECT * FROM public.user_lookup('postgres')"),
    ).rejects.toThrow(/permission denied for function user_lookup/);
  });

  it("takes the fast path once provisioned, and reuses the same password", async () => {
    const first = await ensureProjectDatabase(deps(), "charlie");
    const again = await ensureProjectDatabase(deps(), "charlie");
    expect(again).toMatchObject({ fastPath: true, actions: [], password: first.password });
    expect(again.databaseUrl).toBe(first.databaseUrl);
  });

  it("stamps the record when the fast path verified it, with the time of the check", async () => {
    await ensureProjectDatabase(deps(), "charlie");
    const before = Date.now();
    const checked = await ensureProjectDatabase(deps(), "charlie");
    expect(checked.fastPath).toBe(true);
    const record = await stack.db.projectDatabase.findFirstOrThrow({
      where: { project: { slug: "charlie" } },
    });
    expect(record.verifiedAt!.getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(record.verifiedAt!.getTime()).toBeLessThanOrEqual(Date.now() + 5);
  });

  it("provisions again, not verifies, a project whose record says it was never finished", async () => {
    await ensureProjectDatabase(deps(), "hotel");
    // Verified once, so the next check goes to the database before it reads the record.
    expect((await ensureProjectDatabase(deps(), "hotel")).fastPath).toBe(true);
    await stack.db.projectDatabase.updateMany({
      where: { project: { slug: "hotel" } },
      data: { provisionedAt: null },
    });
    const again = await ensureProjectDatabase(deps(), "hotel");
    expect(again.fastPath).toBe(false);
    const record = await stack.db.projectDatabase.findFirstOrThrow({
      where: { project: { slug: "hotel" } },
    });
    expect(record.provisionedAt).not.toBeNull();
  });

  it("after DROP SCHEMA public CASCADE, PgBouncer says `bouncer config error` until the next run repairs it", async () => {
    const project = await ensureProjectDatabase(deps(), "delta");
    await query(project.directUrl, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    expect(await connectError(project.databaseUrl)).toMatch(/bouncer config error/);

    const repaired = await ensureProjectDatabase(deps(), "delta");
    expect(repaired.fastPath).toBe(false);
    expect(repaired.actions).toEqual([
      "repaired function public.user_lookup()",
      "repaired EXECUTE on public.user_lookup() for pgbouncer_auth",
      "repaired USAGE on schema public for pgbouncer_auth",
    ]);
    expect(await query(project.databaseUrl, "SELECT 1 AS ok")).toEqual([{ ok: 1 }]);
  });

  it("also repairs a database whose public schema is gone altogether", async () => {
    const project = await ensureProjectDatabase(deps(), "echo");
    await query(project.directUrl, "DROP SCHEMA public CASCADE");
    const repaired = await ensureProjectDatabase(deps(), "echo");
    expect(repaired.actions[0]).toBe("repaired schema public");
    expect(await query(project.databaseUrl, "SELECT 1 AS ok")).toEqual([{ ok: 1 }]);
    // The app can use its schema again.
    await query(project.directUrl, "CREATE TABLE t (id int)");
  });

  it("provisions many projects at once without colliding on the shared pgbouncer_auth role", async () => {
    const slugs = Array.from({ length: 8 }, (_, i) => `many-${i}`);
    const results = await Promise.all(slugs.map((slug) => provisionProject(deps(), slug)));
    expect(new Set(results.map((r) => r.database)).size).toBe(slugs.length);
  });

  it("two workers provisioning one project at once end with one database and no error", async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => provisionProject(deps(), "foxtrot")),
    );
    expect(new Set(results.map((r) => r.password)).size).toBe(1);
    const dbs = await onServer(
      async (c) =>
        (
          await c.query("SELECT count(*)::int AS n FROM pg_database WHERE datname = $1", [
            results[0]!.database,
          ])
        ).rows,
    );
    expect(dbs).toEqual([{ n: 1 }]);
    expect(await query(results[0]!.databaseUrl, "SELECT 1 AS ok")).toEqual([{ ok: 1 }]);
  });

  it("completes after a crash between any two statements", async () => {
    // Fault injection: the k-th statement on the cluster fails as if the worker died there; the
    // next run must finish the work. Postgres is real; only the crash is simulated. (The
    // worker's own bookkeeping database is left alone.)
    const original = pg.Client.prototype.query;
    const bookkeeping = new URL(stack.config.databaseUrl).pathname.slice(1);
    let statements = 0;
    let crashAt = Number.POSITIVE_INFINITY;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      if (this.database !== bookkeeping && ++statements === crashAt) {
        return Promise.reject(new Error(`simulated crash at statement ${crashAt}`));
      }
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      statements = 0;
      await provisionProject(deps(), "golf-probe");
      const total = statements;
      expect(total).toBeGreaterThan(8);
      for (let k = 1; k <= total; k++) {
        const slug = `golf-${k}`;
        statements = 0;
        crashAt = k;
        await expect(provisionProject(deps(), slug)).rejects.toThrow(/simulated crash/);
        crashAt = Number.POSITIVE_INFINITY;
        const done = await provisionProject(deps(), slug);
        expect(await query(done.databaseUrl, "SELECT current_user AS u")).toEqual([
          { u: done.database },
        ]);
      }
    } finally {
      pg.Client.prototype.query = original;
    }
  }, 120_000);

  it("names databases safely for any slug, within 63 bytes and without collisions", () => {
    const slugs = ["select", "a-b", "a--b", "x".repeat(63), `${"x".repeat(62)}y`, "0", "user"];
    const names = slugs.map((slug) => projectDatabaseName("prj", slug));
    for (const name of names) expect(name).toMatch(/^prj_[a-z0-9_]{1,58}$/);
    expect(new Set(names).size).toBe(slugs.length);
  });
});
