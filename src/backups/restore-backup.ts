import { createHash } from "node:crypto";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { withAdminSession } from "../provisioning/admin-session.js";
import {
  type ProjectCredentials,
  projectCredentials,
} from "../provisioning/project-credentials.js";
import { createBackup, getBackup } from "../store/backups.js";
import { finishJobRun, startJobRun } from "../store/job-runs.js";
import {
  claimRestore,
  finishRestore,
  getRestoreRecord,
  noteSafetyBackup,
} from "../store/restores.js";
import { recordStorageLevel } from "../store/storage-level.js";
import type { BackupStore } from "./backup-store.js";
import { openBackupStore } from "./open-backup-store.js";
import { pgTool, pgToolEnv } from "./pg-tools.js";
import { type BackupDeps, runBackup } from "./run-backup.js";
import { PgToolError, runPgTool } from "./run-pg-tool.js";
import { verifyRestore } from "./verify-restore.js";

export type RestoreRun = "succeeded" | "failed" | "already-ended";

const LOCK_TIMEOUT_MS = 60_000;

/** Why a restore did not run or failed, already recorded on the Restore. */
class RestoreRefusedError extends Error {}

/**
 * Restores a backup over a project's database. The caller holds the project's lane, so no
 * deploy overlaps it. Refused unless `confirm` is the project's slug; a safety backup is taken
 * first. The project's own objects are dropped (`DROP OWNED BY` its role: never the lookup,
 * which the admin owns, never `DROP SCHEMA public`) and the backup replayed, all in one
 * transaction as the project's role, so a failure leaves the database as it was. Afterwards the
 * lookup, a PgBouncer connection and the live release are checked.
 */
export async function runRestore(
  deps: BackupDeps,
  restoreId: string,
  confirm: string,
  signal?: AbortSignal,
): Promise<RestoreRun> {
  const restore = await getRestoreRecord(deps.db, restoreId);
  const claim = restore && (await claimRestore(deps.db, restoreId));
  if (!restore || !claim) return "already-ended";
  const slug = restore.project;
  const logger = deps.logger.child({ restoreId, project: slug, backupId: restore.backupId });
  if (claim === "running") {
    // Never replayed on its own: whether the first run committed is for a person to check.
    const safety = restore.safetyBackupId;
    await finishRestore(deps.db, restoreId, {
      status: "failed",
      checks: restore.checks,
      error: `the worker running this restore stopped; the database is either as it was or restored (the restore is one transaction)${safety ? `. The safety backup ${safety} holds it as it was before: coduck-worker restore --project ${slug} --backup ${safety} --confirm ${slug}` : ""}`,
    });
    return "failed";
  }
  const checks: string[] = [];
  const store = deps.store ?? openBackupStore(deps.config);
  const run = await startJobRun(deps.db, {
    name: "restore",
    projectId: restore.projectId,
    requestedBy: restore.requestedBy,
  });
  let safetyBackupId: string | null = null;
  const summary = () => ({ restoreId, backupId: restore.backupId, safetyBackupId, checks });
  let safetyHint = "";
  try {
    if (confirm !== slug)
      throw new RestoreRefusedError(
        `refused: a restore overwrites the database of ${slug} and must be confirmed with its slug (--confirm ${slug}); nothing was changed`,
      );
    const backup = await getBackup(deps.db, restore.backupId);
    if (!backup || backup.project.slug !== slug)
      throw new RestoreRefusedError(
        `refused: backup ${restore.backupId} is not a backup of ${slug}`,
      );
    if (backup.status !== "succeeded" || !backup.storageKey || !backup.sha256)
      throw new RestoreRefusedError(
        `refused: backup ${backup.id} is ${backup.status}, not a complete backup; nothing was changed`,
      );
    const project = await projectCredentials(deps, slug);
    if (!project) throw new RestoreRefusedError(`refused: project ${slug} has no database`);
    const sha256 = await digest(await store.get(backup.storageKey));
    if (sha256 !== backup.sha256)
      throw new RestoreRefusedError(
        `refused: backup ${backup.id} is damaged (its sha256 is ${sha256}, recorded ${backup.sha256}); nothing was changed`,
      );
    checks.push(`backup ${backup.id} read, sha256 matches`);

    const safetyId = await createBackup(deps.db, {
      projectId: restore.projectId,
      kind: "safety",
      requestedBy: `restore ${restoreId}`,
    });
    await noteSafetyBackup(deps.db, restoreId, safetyId);
    safetyBackupId = safetyId;
    const safety = await runBackup({ ...deps, store }, safetyId, signal);
    if (safety.status !== "succeeded")
      throw new RestoreRefusedError(
        `the safety backup ${safetyId} failed, so nothing was restored (${safety.status === "failed" ? safety.error : "it did not run"})`,
      );
    checks.push(`safety backup ${safetyId} taken`);
    safetyHint = ` The safety backup ${safetyId} holds the database as it was before this restore: coduck-worker restore --project ${slug} --backup ${safetyId} --confirm ${slug}`;

    await keepLookupSchemaOutOfReach(deps, project.database, project.role);
    await replay(deps, project, store, backup.storageKey, signal).catch((error: Error) => {
      const why = signal?.aborted ? "the worker shut down during it" : error.message;
      throw new RestoreRefusedError(
        `the restore failed and was rolled back, so the database is as it was: ${why}.${safetyHint}`,
      );
    });
    checks.push(`backup ${backup.id} restored`);

    const verified = await verifyRestore(deps.config, deps.db, project);
    checks.push(...verified.checks);
    if (verified.failure)
      throw new RestoreRefusedError(
        `backup ${backup.id} was restored, but ${verified.failure}.${safetyHint}`,
      );
    const size = await withAdminSession(deps.config.adminDatabaseUrl, project.database, (c) =>
      c.query(
        "SELECT pg_catalog.pg_database_size(pg_catalog.current_database())::pg_catalog.text AS bytes",
      ),
    );
    await recordStorageLevel(
      deps.db,
      restore.projectId,
      Number(size.rows[0].bytes),
      deps.config.projectStorageLimitBytes,
    );
    await finishRestore(deps.db, restoreId, { status: "succeeded", checks });
    await finishJobRun(deps.db, run, { status: "succeeded", summary: summary() });
    logger.info({ checks }, "restore done");
    return "succeeded";
  } catch (thrown) {
    const error =
      thrown instanceof RestoreRefusedError
        ? thrown.message
        : `${thrown instanceof Error ? thrown.message : String(thrown)}.${safetyHint}`;
    await finishRestore(deps.db, restoreId, { status: "failed", checks, error });
    await finishJobRun(deps.db, run, { status: "failed", error, summary: summary() });
    logger.warn({ error }, "restore failed");
    return "failed";
  }
}

const COMMITTED = "coduck:restore-committed";

/**
 * Replays a backup as the project's role, in one transaction: ours opens before the project's
 * objects are dropped, and only a backup read to its end is followed by the COMMIT (the
 * backup's own, then ours) and a marker psql prints once past it. A backup that cannot be read
 * to its end reaches psql as an early end of input: no COMMIT, so Postgres rolls it all back.
 */
async function replay(
  deps: BackupDeps,
  project: ProjectCredentials,
  store: BackupStore,
  key: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const script = new PassThrough();
  script.write(
    "-- coduck: the project's own objects go; the platform's (the PgBouncer lookup) stay\nBEGIN;\nDROP OWNED BY CURRENT_USER;\n",
  );
  const reading = pipeline(await store.get(key), createGunzip(), script, { end: false }).then(
    () => void script.end(`\nCOMMIT;\n\\echo ${COMMITTED}\n`),
    (error) => {
      // psql must see its input end (and so roll back) rather than wait for more.
      script.destroy();
      throw error;
    },
  );
  const running = runPgTool(
    pgTool(deps.config, "psql"),
    ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null", "-f", "-"],
    pgToolEnv(project.direct, { PGOPTIONS: `-c lock_timeout=${LOCK_TIMEOUT_MS}` }),
    { stdin: script, signal, timeoutMs: deps.config.stepTimeoutMs },
  );
  const [read, ran] = await Promise.allSettled([reading, running]);
  script.destroy();
  // psql's own error says more than the broken pipe it leaves the reading with.
  if (ran.status === "rejected" && ran.reason instanceof PgToolError && ran.reason.exitCode)
    throw ran.reason;
  if (read.status === "rejected")
    throw new Error(
      `the backup could not be read to its end (${read.reason?.message ?? read.reason})`,
    );
  if (ran.status === "rejected") throw ran.reason;
  if (!ran.value.includes(COMMITTED)) throw new Error("psql stopped before the end of the backup");
}

async function digest(stream: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * `DROP OWNED BY` the project's role would drop the lookup's schema with the lookup in it if
 * the app had recreated `public` as its own (the docs' DROP SCHEMA public trap): such a schema
 * goes back to the owner Postgres gives `public`, the database owner's group, first.
 */
async function keepLookupSchemaOutOfReach(deps: BackupDeps, database: string, role: string) {
  const schema = deps.config.pgbouncer.lookupSchema;
  await withAdminSession(deps.config.adminDatabaseUrl, database, async (admin) => {
    const { rowCount } = await admin.query(
      `SELECT 1 FROM pg_catalog.pg_namespace n
        WHERE n.nspname OPERATOR(pg_catalog.=) $1::pg_catalog.name
          AND n.nspowner OPERATOR(pg_catalog.=)
              (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) $2::pg_catalog.name)`,
      [schema, role],
    );
    if (!rowCount) return;
    const owner = schema === "public" ? "pg_database_owner" : "CURRENT_USER";
    await admin.query(`ALTER SCHEMA ${admin.escapeIdentifier(schema)} OWNER TO ${owner}`);
  });
}
