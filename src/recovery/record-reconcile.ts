import type { Logger } from "../logger.js";
import type { HostQueues } from "../queue/host-queues.js";
import { finishJobRun, RECONCILE_JOB, startJobRun } from "../store/job-runs.js";
import type { Db } from "../store/prisma.js";
import { type Reconciled, reconcile } from "./reconcile-deployments.js";

/**
 * Reconciles, and records the run as a JobRun when it queued anything again (runs that found
 * nothing to do, every minute, are not worth a row): the history and the metric come from it.
 */
export async function reconcileAndRecord(
  db: Db,
  queues: HostQueues,
  hostId: string,
  logger: Logger,
  databaseUrl: string,
  maxAttempts: number,
): Promise<Reconciled> {
  const result = await reconcile(db, queues, hostId, logger, databaseUrl, maxAttempts);
  if (result.requeued.length > 0) {
    const id = await startJobRun(db, { name: RECONCILE_JOB, requestedBy: "worker" });
    await finishJobRun(db, id, { status: "succeeded", summary: result });
  }
  return result;
}
