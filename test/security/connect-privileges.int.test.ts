import { randomBytes } from "node:crypto";
import pg from "pg";
import { connectPrivileges } from "../../src/doctor/checks/connect-privileges.js";
import { closeOtherDatabases } from "../../src/provisioning/close-other-databases.js";
import { ensureProjectDatabase } from "../../src/provisioning/provision-project.js";
import { databaseUrl, onServer } from "../helpers/databases.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// CONNECT is PUBLIC's on every database Postgres creates: a project's role could log in to
// postgres, template1, the worker's own database, or any other database of the cluster.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

const deps = () => ({ db: stack.db, config: stack.config, keyring: stack.keyring });

/** Connects with `url` and reads the session's user, or returns why it could not. */
async function connectAs(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return (await client.query("SELECT current_user AS u")).rows[0].u;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

function on(directUrl: string, database: string): string {
  const url = new URL(directUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

describe("a project's role reaches only its own database", () => {
  it("cannot connect to postgres, template1, the worker's database or another project's", async () => {
    const a = await ensureProjectDatabase(deps(), "conn-alpha");
    const b = await ensureProjectDatabase(deps(), "conn-bravo");
    const workerDatabase = new URL(stack.config.databaseUrl).pathname.slice(1);

    expect(await connectAs(a.directUrl)).toBe(a.database);
    for (const database of ["postgres", "template1", workerDatabase, b.database]) {
      expect({ database, result: await connectAs(on(a.directUrl, database)) }).toEqual({
        database,
        result: expect.stringMatching(/permission denied for database/),
      });
    }
  });

  it("closes a database made after the project was provisioned, on the next provisioning", async () => {
    const a = await ensureProjectDatabase(deps(), "conn-alpha");
    const name = `coduck_test_other_${randomBytes(4).toString("hex")}`;
    await onServer((c) => c.query(`CREATE DATABASE ${name}`));
    try {
      const again = await cli(["db", "repair", "--project", "conn-alpha"], stack.env);
      expect(again.exitCode).toBe(0);
      // Says so, unless a provisioning of another test run on this cluster got there first.
      expect(again.stdout).toMatch(
        new RegExp(`revoked CONNECT on database ${name} from PUBLIC|nothing to create or repair`),
      );
      expect(await connectAs(on(a.directUrl, name))).toMatch(/permission denied for database/);
    } finally {
      await onServer((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }
  });

  it("keeps CONNECT for a worker role that is no superuser, by an explicit grant", async () => {
    const suffix = randomBytes(4).toString("hex");
    const role = `coduck_test_worker_${suffix}`;
    const database = `coduck_test_workerdb_${suffix}`;
    await onServer(async (c) => {
      await c.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER`);
      await c.query(`CREATE DATABASE ${database} ALLOW_CONNECTIONS false`);
    });
    try {
      const workerUrl = new URL(databaseUrl(database));
      workerUrl.username = role;
      // Opened and closed in one transaction, so that no provisioning elsewhere (another test
      // run's) closes it first, without the grant.
      await onServer(async (c) => {
        await c.query("BEGIN");
        await c.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
        const closed = await closeOtherDatabases(c, workerUrl.toString());
        await c.query("COMMIT");
        expect(closed).toContain(database);
      });
      expect(await connectAs(workerUrl.toString())).toBe(role);
      const project = await ensureProjectDatabase(deps(), "conn-alpha");
      expect(await connectAs(on(project.directUrl, database))).toMatch(
        /permission denied for database/,
      );
    } finally {
      await onServer(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${role}`);
      });
    }
  });

  it("doctor says no database lets every role in, and names the trust lines of pg_hba.conf", async () => {
    await ensureProjectDatabase(deps(), "conn-alpha");
    const run = await cli(["doctor", "--json"], stack.env);
    const lines: { check: string; status: string; message: string; fix?: string }[] = JSON.parse(
      run.stdout,
    );
    const connect = lines.find((line) => line.check === "connect")!;
    // Other test runs may make databases meanwhile; never one provisioning closes.
    expect(connect.status).not.toBe("fail");
    expect(connect.message).not.toMatch(/\b(postgres|template1)\b/);

    // This machine's pg_hba.conf trusts 127.0.0.1 over TCP: a warning naming the line.
    const hba = lines.find((line) => line.check === "pg-hba")!;
    const trusted = await onServer(
      async (c) =>
        (
          await c.query(
            "SELECT line_number FROM pg_hba_file_rules WHERE auth_method = 'trust' AND type = 'host'",
          )
        ).rows,
    );
    if (trusted.length === 0) {
      expect(hba.status).toBe("ok");
    } else {
      expect(hba.status).toBe("warn");
      expect(hba.message).toContain(`line ${trusted[0].line_number}: host `);
      expect(hba.message).toContain("over TCP");
      expect(hba.fix).toContain("scram-sha-256");
      // PgBouncer connects from there too: with the lookup in public, a tenant that replaces
      // user_lookup() logs in through it as any role.
      expect(hba.message).toContain("a tenant that replaces user_lookup()");
      expect(hba.fix).toContain("PGBOUNCER_LOOKUP_SCHEMA=coduck");
    }
  });
});

describe("doctor's connect check", () => {
  // Provisioning anywhere on this cluster (other test runs) closes an open database within
  // moments, so the check reads a state no other session sees: a database opened to PUBLIC in
  // a transaction of its own, rolled back afterwards.
  async function checkWithOpen(name: string, config = stack.config) {
    return onServer(async (client) => {
      await client.query("BEGIN");
      try {
        await client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
        await client.query(`GRANT CONNECT ON DATABASE ${name} TO PUBLIC`);
        const ctx = {
          config,
          redisInfo: () => Promise.reject(new Error("not used")),
          withPostgres: <T>(_url: string, work: (c: pg.Client) => Promise<T>) => work(client),
          close: async () => {},
        };
        return await connectPrivileges.run(ctx);
      } finally {
        await client.query("ROLLBACK");
      }
    });
  }

  it("fails naming a database provisioning closes, warns naming any other, once a project exists", async () => {
    await ensureProjectDatabase(deps(), "conn-alpha");
    const name = `coduck_test_open_${randomBytes(4).toString("hex")}`;
    // Closed to everyone (ALLOW_CONNECTIONS false), so no provisioning elsewhere touches it.
    await onServer((c) => c.query(`CREATE DATABASE ${name} ALLOW_CONNECTIONS false`));
    try {
      const other = await checkWithOpen(name);
      expect(other.status).toBe("warn");
      expect(other.message).toContain(name);
      expect(other.fix).toContain("REVOKE CONNECT ON DATABASE");

      // The same database as the admin URL's own: one provisioning closes.
      const adminUrl = new URL(stack.config.adminDatabaseUrl);
      adminUrl.pathname = `/${name}`;
      const ours = await checkWithOpen(name, {
        ...stack.config,
        adminDatabaseUrl: adminUrl.toString(),
      });
      expect(ours.status).toBe("fail");
      expect(ours.message).toContain(name);
    } finally {
      await onServer((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }
  });
});
