import { randomBytes } from "node:crypto";
import type pg from "pg";
import type { Config } from "../config.js";
import type { Keyring } from "../secrets/keyring.js";
import { open, seal } from "../secrets/secret-box.js";
import { addHost, placeProject } from "../store/hosts.js";
import type { Db } from "../store/prisma.js";
import { markProjectDatabaseVerified } from "../store/project-database-verified.js";
import { withAdminSession } from "./admin-session.js";
import { closeOtherDatabases } from "./close-other-databases.js";
import { type ProjectUrls, projectUrls } from "./connection-urls.js";
import { AUTH_ROLE, inspectLookup, lookupIntact, repairLookup } from "./lookup-objects.js";
import { projectDatabaseName } from "./names.js";
import { hasProjectConnection, withProjectConnection } from "./project-connections.js";
import { scramVerifier } from "./scram-verifier.js";

export type ProvisionDeps = { db: Db; config: Config; keyring: Keyring };

export type Provisioned = ProjectUrls & {
  database: string;
  password: string;
  /** True when the project was already provisioned and only verified. */
  fastPath: boolean;
  /** What was created or repaired, in words, for the step log. */
  actions: string[];
  /**
   * Other databases of the cluster whose CONNECT this run took from PUBLIC: for the operator,
   * never the project's step log (their names are none of the tenant's business).
   */
  closedDatabases: string[];
  sizeBytes: number;
};

/**
 * Makes sure a project has its private database and role with PgBouncer's lookup in place, and
 * returns its connection URLs. An already-provisioned project takes a fast path that only
 * verifies, in two round trips: one query on a kept connection to its database, then one
 * statement that stamps the record and reads its password (the database's name follows from
 * the slug, so the check need not wait for the record). Anything missing is (re)created under
 * an advisory lock, so that re-running after a crash completes the work and concurrent runs
 * agree.
 */
export async function ensureProjectDatabase(
  deps: ProvisionDeps,
  slug: string,
): Promise<Provisioned> {
  const database = projectDatabaseName(deps.config.projectDatabasePrefix, slug);
  // Without a kept connection (a new project, or the first check since the worker started) the
  // record says first whether there is anything to verify: trying to connect to a database
  // that does not exist costs a new project more than reading the record.
  if (
    hasProjectConnection(deps.config.adminDatabaseUrl, database) ||
    (await isProvisioned(deps.db, slug, database))
  ) {
    // A database that is gone fails to connect: provision it again.
    const verified = await verify(deps.config, database).catch(() => null);
    if (verified?.intact) {
      const record = await markProjectDatabaseVerified(deps.db, slug, database);
      if (record) {
        const password = open(deps.keyring, {
          ciphertext: record.passwordEncrypted,
          keyVersion: record.keyVersion,
        });
        return result(deps.config, database, password, true, [], verified.sizeBytes);
      }
    }
  }
  return provisionProject(deps, slug);
}

async function isProvisioned(db: Db, slug: string, database: string): Promise<boolean> {
  const record = await db.projectDatabase.findFirst({
    where: { project: { slug }, databaseName: database, provisionedAt: { not: null } },
    select: { id: true },
  });
  return record !== null;
}

async function verify(config: Config, database: string) {
  return withProjectConnection(config.adminDatabaseUrl, database, async (client) => {
    const state = await inspectLookup(client, config.pgbouncer.lookupSchema);
    return { intact: lookupIntact(state), sizeBytes: state.sizeBytes };
  });
}

/** The full, idempotent provisioning: every statement is safe to run again. */
export async function provisionProject(deps: ProvisionDeps, slug: string): Promise<Provisioned> {
  const { db, config, keyring } = deps;
  const database = projectDatabaseName(config.projectDatabasePrefix, slug);
  // Admin sessions (admin-session.ts): search_path pinned, every name in their SQL qualified.
  return withAdminSession(config.adminDatabaseUrl, undefined, async (admin) => {
    await admin.query("SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtextextended($1, 0))", [
      `coduck:provision:${database}`,
    ]);
    try {
      const actions: string[] = [];
      const project = await db.project.upsert({
        where: { slug },
        create: { slug },
        update: {},
        select: { id: true },
      });
      // A project lives on the host whose cluster holds its database: one that has no host yet
      // (provisioned by a command, not a deploy) is placed on this one.
      await addHost(db, config.host);
      await placeProject(db, slug, config.host.id);
      // The password is stored before the role exists, so a crash in between leaves nothing unknown.
      const record =
        (await db.projectDatabase.findUnique({ where: { projectId: project.id } })) ??
        (await db.projectDatabase.create({
          data: {
            projectId: project.id,
            databaseName: database,
            roleName: database,
            ...sealed(keyring, randomBytes(32).toString("base64url")),
          },
        }));
      const password = open(keyring, {
        ciphertext: record.passwordEncrypted,
        keyVersion: record.keyVersion,
      });

      if (await ensureAuthRole(admin, config.pgbouncer.authPassword))
        actions.push(`created role ${AUTH_ROLE}`);
      const role = admin.escapeIdentifier(database);
      const roleExists = (
        await admin.query(
          "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) $1",
          [database],
        )
      ).rowCount;
      const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${config.projectConnectionLimit} PASSWORD ${admin.escapeLiteral(scramVerifier(password))}`;
      await admin.query(`${roleExists ? "ALTER" : "CREATE"} ROLE ${role} ${attributes}`);
      if (!roleExists) actions.push(`created role ${database}`);

      const dbExists = (
        await admin.query(
          "SELECT 1 FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) $1",
          [database],
        )
      ).rowCount;
      if (!dbExists) {
        // Created closed: no other role can connect in the moment before PUBLIC loses CONNECT
        // (and closeOtherDatabases, in another project's provisioning, never touches it).
        await admin.query(`CREATE DATABASE ${role} OWNER ${role} ALLOW_CONNECTIONS false`);
        actions.push(`created database ${database}`);
      }
      // One transaction: the database opens only with its privileges in place.
      await admin.query(
        [
          `ALTER DATABASE ${role} OWNER TO ${role}`,
          `REVOKE ALL ON DATABASE ${role} FROM PUBLIC`,
          `GRANT CONNECT ON DATABASE ${role} TO ${AUTH_ROLE}`,
          `ALTER DATABASE ${role} ALLOW_CONNECTIONS true`,
        ].join("; "),
      );
      // CONNECT is PUBLIC's on a new cluster's databases: the role would reach them all.
      const closedDatabases = await closeOtherDatabases(admin, config.databaseUrl);

      const sizeBytes = await withAdminSession(
        config.adminDatabaseUrl,
        database,
        async (client) => {
          for (const repaired of await repairLookup(
            client,
            config.pgbouncer.lookupSchema,
            database,
          )) {
            actions.push(dbExists ? `repaired ${repaired}` : `created ${repaired}`);
          }
          const size = await client.query(
            "SELECT pg_catalog.pg_database_size(pg_catalog.current_database())::pg_catalog.text AS bytes",
          );
          return Number(size.rows[0].bytes);
        },
      );

      const now = new Date();
      await db.projectDatabase.update({
        where: { id: record.id },
        data: { provisionedAt: now, verifiedAt: now },
      });
      return result(config, database, password, false, actions, sizeBytes, closedDatabases);
    } finally {
      await admin.query(
        "SELECT pg_catalog.pg_advisory_unlock(pg_catalog.hashtextextended($1, 0))",
        [`coduck:provision:${database}`],
      );
    }
  });
}

/**
 * Creates the cluster-wide pgbouncer_auth role once; keeps its password in step with config.
 * The role is shared by every project, so this runs under a cluster-wide lock of its own:
 * two projects provisioned at once would otherwise update the role concurrently.
 */
async function ensureAuthRole(admin: pg.Client, password: string | undefined): Promise<boolean> {
  await admin.query("SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtextextended($1, 0))", [
    AUTH_ROLE_LOCK,
  ]);
  try {
    return await createOrUpdateAuthRole(admin, password);
  } finally {
    await admin.query("SELECT pg_catalog.pg_advisory_unlock(pg_catalog.hashtextextended($1, 0))", [
      AUTH_ROLE_LOCK,
    ]);
  }
}

const AUTH_ROLE_LOCK = "coduck:provision:pgbouncer_auth";

async function createOrUpdateAuthRole(
  admin: pg.Client,
  password: string | undefined,
): Promise<boolean> {
  let created = false;
  try {
    await admin.query(
      `CREATE ROLE ${AUTH_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT`,
    );
    created = true;
  } catch (error) {
    // duplicate_object, or unique_violation when another worker created it at the same moment
    if (!["42710", "23505"].includes((error as { code?: string }).code ?? "")) throw error;
  }
  if (password) {
    await admin.query(
      `ALTER ROLE ${AUTH_ROLE} PASSWORD ${admin.escapeLiteral(scramVerifier(password))}`,
    );
  }
  return created;
}

function sealed(keyring: Keyring, password: string) {
  const { ciphertext, keyVersion } = seal(keyring, password);
  return { passwordEncrypted: ciphertext, keyVersion };
}

function result(
  config: Config,
  database: string,
  password: string,
  fastPath: boolean,
  actions: string[],
  sizeBytes: number,
  closedDatabases: string[] = [],
): Provisioned {
  return {
    ...projectUrls(config, database, password),
    database,
    password,
    fastPath,
    actions,
    sizeBytes,
    closedDatabases,
  };
}
