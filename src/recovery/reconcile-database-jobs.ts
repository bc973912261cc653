import type { Logger } from "../logger.js";
import { enqueueBackup } from "../queue/database-jobs.js";
import type { HostQueues } from "../queue/host-queues.js";
import { isHeldJobState } from "../queue/job-states.js";
import type { Db } from "../store/prisma.js";
import { finishRestore } from "../store/restores.js";

// Job states in which a job is still in the queue's hands.

export type ReconciledDatabaseJobs = { requeuedBackups: string[]; abandonedRestores: string[] };

/**
 * Makes Redis agree with Postgres for backups and restores, as reconcile does for deploys: a
 * backup recorded queued or running whose job Redis lost is queued again. A restore is never
 * started behind the back of whoever asked (it overwrites the database, and its confirmation
 * travelled in the lost job): it is recorded failed, saying nothing was changed if it had not
 * started. Each worker reconciles its own host's backups and restores, on its own queue.
 */
export async function reconcileDatabaseJobs(
  db: Db,
  queues: HostQueues,
  hostId: string,
  logger: Logger,
): Promise<ReconciledDatabaseJobs> {
  const queue = queues.deploy(hostId);
  const result: ReconciledDatabaseJobs = { requeuedBackups: [], abandonedRestores: [] };
  const backups = await db.backup.findMany({
    where: { status: { in: ["queued", "running"] }, hostId },
    select: { id: true },
  });
  for (const { id } of backups) {
    const jobId = `backup-${id}`;
    const state = await queue.getJobState(jobId);
    if (isHeldJobState(state)) continue;
    if (state !== "unknown") await queue.remove(jobId).catch(() => 0);
    await enqueueBackup(queues, hostId, id);
    result.requeuedBackups.push(id);
  }
  const restores = await db.restore.findMany({
    where: { status: { in: ["queued", "running"] }, hostId },
    select: { id: true, status: true, checks: true, safetyBackupId: true },
  });
  for (const restore of restores) {
    if (isHeldJobState(await queue.getJobState(`restore-${restore.id}`))) continue;
    const error =
      restore.status === "queued"
        ? "its job was lost by the queue before it started; nothing was changed: ask for the restore again"
        : `its job was lost by the queue while it ran; the database is either as it was or restored (the restore is one transaction)${restore.safetyBackupId ? `; the safety backup ${restore.safetyBackupId} holds it as it was before` : ""}`;
    await finishRestore(db, restore.id, { status: "failed", checks: restore.checks, error });
    result.abandonedRestores.push(restore.id);
  }
  if (result.requeuedBackups.length + result.abandonedRestores.length > 0)
    logger.warn(result, "reconciled backups and restores the queue had lost");
  return result;
}
