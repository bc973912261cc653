import type { JobsOptions, Queue } from "bullmq";
import { z } from "zod";
import type { HostQueues } from "./host-queues.js";

/** Jobs on a host's deploy queue beside `deploy`, run by the same workers (the host's). */
export const BACKUP_JOB = "backup";
export const RESTORE_JOB = "restore";
export const PRUNE_BACKUPS_JOB = "prune-backups";

/** A backup job carries the id of the Backup recorded before it was queued. */
export const backupJobPayload = z.object({ backupId: z.uuid() }).strict();
/** A restore job carries the Restore's id and the confirmation the request gave (the slug). */
export const restoreJobPayload = z.object({ restoreId: z.uuid(), confirm: z.string() }).strict();

const options: JobsOptions = {
  // Failures are recorded on the Backup or Restore; BullMQ retries only what the worker itself
  // could not do.
  attempts: 3,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

/** Queues a recorded backup on the deploy queue of the host whose cluster it dumps. */
export async function enqueueBackup(
  queues: HostQueues,
  hostId: string,
  backupId: string,
): Promise<void> {
  await queues
    .deploy(hostId)
    .add(BACKUP_JOB, { backupId }, { ...options, jobId: `backup-${backupId}` });
}

/** Queues a recorded restore on the deploy queue of the host whose cluster it restores into. */
export async function enqueueRestore(
  queues: HostQueues,
  hostId: string,
  restoreId: string,
  confirm: string,
): Promise<void> {
  // A restore is never retried by the queue: a second attempt would take another safety
  // backup of a database the first may have half-changed. Its failure is recorded.
  await queues
    .deploy(hostId)
    .add(
      RESTORE_JOB,
      { restoreId, confirm },
      { ...options, attempts: 1, jobId: `restore-${restoreId}` },
    );
}

/**
 * Pruning by the retention rules, every BACKUP_PRUNE_EVERY_MINUTES: one scheduler on each host's
 * deploy queue (each host prunes the backups its own store keeps).
 */
export async function scheduleBackupPruning(queue: Queue, everyMs: number): Promise<void> {
  await queue.upsertJobScheduler(
    PRUNE_BACKUPS_JOB,
    { every: everyMs },
    {
      name: PRUNE_BACKUPS_JOB,
      data: {},
      opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    },
  );
}
