import { randomBytes } from "node:crypto";
import pg from "pg";
import { connectDb, type Db } from "../../src/store/prisma.js";

/** The Postgres server the tests use (set by global-setup, which also makes the template). */
export const SERVER_URL =
  process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export function databaseUrl(name: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function onServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Runs `work` as the test server's superuser on one database (a project's, say), as an operator
 * would in psql: no pinned search_path, so it can create tables unqualified.
 */
/** One statement (or several, without parameters) on a database URL, as that URL's role: its rows. */
export async function queryAt(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

export async function onDatabase<T>(
  name: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh copy of the migrated worker database for one test file, dropped by `drop()`.
 * Kept when KEEP_TEST_DATABASES=1, for inspecting a failure.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  // Read now, not when this module loads: the bench makes its template after importing it.
  const template = process.env.TEST_TEMPLATE_DATABASE;
  if (!template) throw new Error("TEST_TEMPLATE_DATABASE is not set: no migrated template to copy");
  const name = `coduck_test_${randomBytes(6).toString("hex")}`;
  await onServer((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  return {
    url: databaseUrl(name),
    drop: async () => {
      if (process.env.KEEP_TEST_DATABASES === "1") return;
      await onServer((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * A database and role as provisioning makes a project's: the role owns the database and its
 * `public` schema, so it owns everything the tenant creates there. `url` logs in as that role;
 * `drop()` removes both.
 */
export async function createTenantDatabase(
  prefix: string,
): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  const password = randomBytes(12).toString("hex");
  await onServer(async (c) => {
    await c.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
    await c.query(`CREATE DATABASE ${name} OWNER ${name}`);
  });
  await queryAt(databaseUrl(name), `ALTER SCHEMA public OWNER TO ${name}`);
  const url = new URL(databaseUrl(name));
  url.username = name;
  url.password = password;
  return {
    name,
    url: url.toString(),
    drop: () =>
      onServer(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${name}`);
      }),
  };
}

/** A fresh copy of the migrated worker database with a client on it; `close()` disconnects and drops it. */
export async function connectTestDatabase(): Promise<{ db: Db; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const db = connectDb(database.url);
  return {
    db,
    async close() {
      await db.$disconnect();
      await database.drop();
    },
  };
}

/** Drops the project databases and roles a test stack provisioned (all share its prefix). */
export async function dropProjectDatabases(prefix: string): Promise<void> {
  if (process.env.KEEP_TEST_DATABASES === "1") return;
  await onServer(async (c) => {
    const like = `${prefix}\\_%`;
    const dbs = await c.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [like]);
    for (const { datname } of dbs.rows) {
      await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(datname)} WITH (FORCE)`);
    }
    const roles = await c.query("SELECT rolname FROM pg_roles WHERE rolname LIKE $1", [like]);
    for (const { rolname } of roles.rows)
      await c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(rolname)}`);
  });
}
