import type { Queue } from "bullmq";
import type { Logger } from "../logger.js";
import { finishJobRun, RECONCILE_JOB, startJobRun } from "../store/job-runs.js";
import type { Db } from "../store/prisma.js";
import { type Reconciled, reconcile } from "./reconcile-deployments.js";

/**
 * Reconciles, and records the run as a JobRun when it queued anything again (runs that found
 * nothing to do, every minute, are not worth a row): the history and the metric come from it.
 */
export async function reconcileAndRecord(
  db: Db,
  queue: Queue,
  logger: Logger,
  databaseUrl: string,
  maxAttempts: number,
): Promise<Reconciled> {
  const result = await reconcile(db, queue, logger, databaseUrl, maxAttempts);
  if (result.requeued.length > 0) {
    const id = await startJobRun(db, { name: RECONCILE_JOB, requestedBy: "worker" });
    await finishJobRun(db, id, { status: "succeeded", summary: result });
  }
  return result;
}
