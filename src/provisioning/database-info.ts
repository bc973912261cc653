import { open } from "../secrets/secret-box.js";
import { recordStorageLevel } from "../store/storage-level.js";
import { withAdminSession } from "./admin-session.js";
import { projectUrls } from "./connection-urls.js";
import { inspectLookup, type LookupState } from "./lookup-objects.js";
import type { ProvisionDeps } from "./provision-project.js";

export type DatabaseInfo = {
  projectId: string;
  database: string;
  role: string;
  sizeBytes: number;
  limitBytes: number;
  connections: number;
  connectionLimit: number;
  lookup: LookupState;
  databaseUrl: string;
  directUrl: string;
  provisionedAt: string | null;
  verifiedAt: string | null;
};

/** What an operator asks about a project's database; null when it was never provisioned. */
export async function databaseInfo(
  deps: ProvisionDeps,
  slug: string,
): Promise<DatabaseInfo | null> {
  const record = await deps.db.projectDatabase.findFirst({ where: { project: { slug } } });
  if (!record) return null;
  const password = open(deps.keyring, {
    ciphertext: record.passwordEncrypted,
    keyVersion: record.keyVersion,
  });
  // An admin session inside the tenant's database (admin-session.ts): every name qualified.
  const live = await withAdminSession(
    deps.config.adminDatabaseUrl,
    record.databaseName,
    async (c) => {
      const { rows } = await c.query(
        `SELECT pg_catalog.pg_database_size(pg_catalog.current_database())::pg_catalog.text AS size,
              (SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity
                WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database()
                  AND usename OPERATOR(pg_catalog.=) $1::pg_catalog.name)::pg_catalog.int4 AS connections,
              (SELECT rolconnlimit FROM pg_catalog.pg_roles
                WHERE rolname OPERATOR(pg_catalog.=) $1::pg_catalog.name) AS "connectionLimit"`,
        [record.roleName],
      );
      const { sizeBytes: _size, ...lookup } = await inspectLookup(
        c,
        deps.config.pgbouncer.lookupSchema,
      );
      return { ...rows[0], lookup };
    },
  );
  return {
    projectId: record.projectId,
    database: record.databaseName,
    role: record.roleName,
    sizeBytes: Number(live.size),
    limitBytes: deps.config.projectStorageLimitBytes,
    connections: live.connections,
    connectionLimit: live.connectionLimit,
    lookup: live.lookup,
    ...projectUrls(deps.config, record.databaseName, password),
    provisionedAt: record.provisionedAt?.toISOString() ?? null,
    verifiedAt: record.verifiedAt?.toISOString() ?? null,
  };
}

/**
 * databaseInfo, as `db info` and the Data view show it: measuring is when a crossing of 80 % or
 * 100 % of the soft limit is noticed and recorded, so the warning returned is the one in force.
 */
export async function measureDatabase(
  deps: ProvisionDeps,
  slug: string,
): Promise<{ info: DatabaseInfo; storageWarning: string | null } | null> {
  const info = await databaseInfo(deps, slug);
  if (!info) return null;
  await recordStorageLevel(deps.db, info.projectId, info.sizeBytes, info.limitBytes);
  const project = await deps.db.project.findUniqueOrThrow({
    where: { id: info.projectId },
    select: { storageWarning: true },
  });
  return { info, storageWarning: project.storageWarning };
}
