import type { Logger } from "../logger.js";
import {
  BACKUP_JOB,
  enqueueBackup,
  enqueueRestore,
  PRUNE_BACKUPS_JOB,
  RESTORE_JOB,
} from "../queue/database-jobs.js";
import { DEPLOY_JOB, enqueueDeploy } from "../queue/deploy-job.js";
import { type HostQueues, LEGACY_DEPLOY_QUEUE } from "../queue/host-queues.js";
import type { Db } from "../store/prisma.js";

export type DrainedLegacy = { moved: string[]; dropped: string[]; left: string[] };

/** The states of a job that has not started (an active one is the reconciler's, see below). */
const NOT_STARTED = ["waiting", "delayed", "prioritized", "waiting-children"] as const;

/**
 * Upgrading from before hosts: jobs still in the one `deploys` queue of the old versions are
 * moved to the deploy queue of the host their record names (deployment, backup, restore; a
 * worker adopts its installation's projects first, see store/hosts.ts adoptUnplaced), with the
 * same job id, then removed from the old queue; its prune-backups scheduler is removed (each
 * host has its own now). Nothing new is ever added to the old queue, so after the first run
 * this finds nothing. A job whose record has no host yet is left where it is (`left`) until a
 * worker can tell; a job that was running when the old worker stopped is not moved: the
 * reconciler finds its deployment running with no live worker and queues it on its host.
 * Idempotent: two workers draining at once add each job once (job ids).
 */
export async function drainLegacyQueue(
  db: Db,
  queues: HostQueues,
  logger: Logger,
): Promise<DrainedLegacy> {
  const legacy = queues.named(LEGACY_DEPLOY_QUEUE);
  const result: DrainedLegacy = { moved: [], dropped: [], left: [] };
  if (await legacy.getJobScheduler(PRUNE_BACKUPS_JOB)) {
    await legacy.removeJobScheduler(PRUNE_BACKUPS_JOB);
  }
  const jobs = await legacy.getJobs([...NOT_STARTED], 0, 9_999);
  for (const job of jobs) {
    if (!job?.id) continue;
    const data = (job.data ?? {}) as Record<string, unknown>;
    const text = (key: string) => (typeof data[key] === "string" ? (data[key] as string) : "");
    let hostId: string | null | undefined;
    if (job.name === DEPLOY_JOB) {
      const row = await db.deployment
        .findUnique({ where: { id: text("deploymentId") }, select: { hostId: true } })
        .catch(() => null);
      hostId = row?.hostId;
      if (hostId) await enqueueDeploy(queues, hostId, text("deploymentId"));
    } else if (job.name === BACKUP_JOB) {
      const row = await db.backup
        .findUnique({ where: { id: text("backupId") }, select: { hostId: true } })
        .catch(() => null);
      hostId = row?.hostId;
      if (hostId) await enqueueBackup(queues, hostId, text("backupId"));
    } else if (job.name === RESTORE_JOB) {
      const row = await db.restore
        .findUnique({ where: { id: text("restoreId") }, select: { hostId: true } })
        .catch(() => null);
      hostId = row?.hostId;
      if (hostId) await enqueueRestore(queues, hostId, text("restoreId"), text("confirm"));
    } else {
      // A scheduled prune-backups run (each host schedules its own now), or a job nothing knows.
      await job.remove().catch(() => {});
      result.dropped.push(job.id);
      continue;
    }
    if (!hostId) {
      result.left.push(job.id);
      continue;
    }
    await job.remove().catch(() => {});
    result.moved.push(job.id);
  }
  if (result.moved.length + result.dropped.length + result.left.length > 0)
    logger.warn(result, "moved the jobs of the pre-hosts deploy queue to their hosts' queues");
  return result;
}
