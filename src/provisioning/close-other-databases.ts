import type pg from "pg";

/**
 * Postgres grants CONNECT on every new database to PUBLIC, so without this a project's role
 * could connect to `postgres`, `template1`, the worker's own database and any other database
 * of the cluster. A project's own database is created closed (provision-project.ts); this
 * closes the others: PUBLIC's CONNECT is revoked wherever it is still granted, and the
 * worker's own role, when it is no superuser and its database is in this cluster, keeps
 * CONNECT on its database by an explicit grant (in the same transaction, so it is never
 * without). Superusers, the admin among them, need no grant; an owner keeps its own.
 *
 * Runs under a cluster-wide lock: GRANT and REVOKE on one database from two sessions at once
 * fail ("tuple concurrently updated"). Returns the databases it closed; once every database
 * is closed it costs one query.
 */
export async function closeOtherDatabases(
  admin: pg.Client,
  workerDatabaseUrl: string,
): Promise<string[]> {
  if ((await databasesOpenToPublic(admin)).length === 0) return [];
  await admin.query("SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtextextended($1, 0))", [
    LOCK,
  ]);
  try {
    const worker = await workerRole(admin, workerDatabaseUrl);
    const closed: string[] = [];
    for (const database of await databasesOpenToPublic(admin)) {
      const d = admin.escapeIdentifier(database);
      const grant =
        worker && worker.database === database
          ? `; GRANT CONNECT ON DATABASE ${d} TO ${admin.escapeIdentifier(worker.role)}`
          : "";
      try {
        await admin.query(`REVOKE CONNECT ON DATABASE ${d} FROM PUBLIC${grant}`);
        closed.push(database);
      } catch (error) {
        // A database dropped meanwhile (another application's, a test's) is nothing to close.
        if (await exists(admin, database)) throw error;
      }
    }
    return closed;
  } finally {
    await admin.query("SELECT pg_catalog.pg_advisory_unlock(pg_catalog.hashtextextended($1, 0))", [
      LOCK,
    ]);
  }
}

const LOCK = "coduck:provision:connect-privileges";

/**
 * The databases of the cluster that every role may connect to (PUBLIC holds CONNECT, as it
 * does on a database nobody granted or revoked anything on), by name. Databases that take no
 * connections at all (template0) are not counted.
 */
export async function databasesOpenToPublic(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ datname: string }>(
    `SELECT d.datname FROM pg_catalog.pg_database d
      WHERE d.datallowconn AND EXISTS (
        SELECT 1 FROM pg_catalog.aclexplode(COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) a
         WHERE a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid
           AND a.privilege_type OPERATOR(pg_catalog.=) 'CONNECT')
      ORDER BY d.datname`,
  );
  return rows.map((row) => row.datname);
}

/**
 * The worker's own role and database (DATABASE_URL's), when both are in this cluster and the
 * role needs a grant to connect: it is neither a superuser nor the database's owner.
 */
async function workerRole(
  admin: pg.Client,
  workerDatabaseUrl: string,
): Promise<{ role: string; database: string } | null> {
  const url = new URL(workerDatabaseUrl);
  const role = decodeURIComponent(url.username);
  const database = decodeURIComponent(url.pathname.slice(1)) || role;
  if (!role) return null;
  const { rowCount } = await admin.query(
    `SELECT 1 FROM pg_catalog.pg_roles r, pg_catalog.pg_database d
      WHERE r.rolname OPERATOR(pg_catalog.=) $1 AND d.datname OPERATOR(pg_catalog.=) $2
        AND NOT r.rolsuper AND d.datdba OPERATOR(pg_catalog.<>) r.oid`,
    [role, database],
  );
  return rowCount ? { role, database } : null;
}

async function exists(admin: pg.Client, database: string): Promise<boolean> {
  const { rowCount } = await admin.query(
    "SELECT 1 FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) $1",
    [database],
  );
  return Boolean(rowCount);
}
