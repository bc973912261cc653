import type { Logger } from "../logger.js";
import { projectCredentials } from "../provisioning/project-credentials.js";
import type { ProvisionDeps } from "../provisioning/provision-project.js";
import { claimBackup, finishBackup, getBackup, requeueBackup } from "../store/backups.js";
import { finishJobRun, startJobRun } from "../store/job-runs.js";
import { recordStorageLevel } from "../store/storage-level.js";
import { type BackupStore, backupKey } from "./backup-store.js";
import { dumpProjectDatabase } from "./dump-project-database.js";
import { openBackupStore } from "./open-backup-store.js";

export type BackupDeps = ProvisionDeps & { logger: Logger; store?: BackupStore };

export type BackupRun =
  | { status: "succeeded"; sizeBytes: number; sha256: string }
  | { status: "failed"; error: string }
  | { status: "already-ended" }
  /** Stopped by the worker's shutdown: queued again. */
  | { status: "handed-back" };

/**
 * Runs one recorded backup: claims it, dumps the project's database into the store, records
 * size, sha256 and duration, or the error. The caller holds the project's lane.
 */
export async function runBackup(
  deps: BackupDeps,
  backupId: string,
  signal?: AbortSignal,
): Promise<BackupRun> {
  const backup = await getBackup(deps.db, backupId);
  if (!backup) return { status: "already-ended" };
  const slug = backup.project.slug;
  const key = backupKey(slug, backupId);
  if (!(await claimBackup(deps.db, backupId, key))) return { status: "already-ended" };
  const logger = deps.logger.child({ backupId, project: slug, kind: backup.kind });
  const started = Date.now();
  // Recorded like every background job too, for the job history and its metrics.
  const run = await startJobRun(deps.db, {
    name: "backup",
    projectId: backup.projectId,
    requestedBy: backup.requestedBy,
  });
  try {
    const project = await projectCredentials(deps, slug);
    if (!project)
      throw new Error(`project ${slug} has no database yet: it is created on its first deploy`);
    const store = deps.store ?? openBackupStore(deps.config);
    const dumped = await dumpProjectDatabase(deps.config, project, store, key, signal);
    await finishBackup(deps.db, backupId, {
      status: "succeeded",
      ...dumped,
      durationMs: Date.now() - started,
    });
    const warning = await recordStorageLevel(
      deps.db,
      backup.projectId,
      dumped.databaseSizeBytes,
      deps.config.projectStorageLimitBytes,
    );
    if (warning) logger.warn({ warning }, "storage level crossed");
    await finishJobRun(deps.db, run, {
      status: "succeeded",
      summary: { backupId, kind: backup.kind, sizeBytes: dumped.sizeBytes, sha256: dumped.sha256 },
    });
    logger.info({ sizeBytes: dumped.sizeBytes, durationMs: Date.now() - started }, "backup done");
    return { status: "succeeded", sizeBytes: dumped.sizeBytes, sha256: dumped.sha256 };
  } catch (thrown) {
    if (signal?.aborted) {
      await requeueBackup(deps.db, backupId);
      await finishJobRun(deps.db, run, {
        status: "failed",
        error: "stopped by the worker's shutdown; queued again",
        summary: { backupId },
      });
      logger.warn("backup stopped by shutdown; handed back to the queue");
      return { status: "handed-back" };
    }
    const error = thrown instanceof Error ? thrown.message : String(thrown);
    await finishBackup(deps.db, backupId, {
      status: "failed",
      error,
      durationMs: Date.now() - started,
    });
    await finishJobRun(deps.db, run, { status: "failed", error, summary: { backupId } });
    logger.warn({ error }, "backup failed");
    return { status: "failed", error };
  }
}
