import type { Logger } from "../logger.js";
import { enqueueDeploy } from "../queue/deploy-job.js";
import type { HostQueues } from "../queue/host-queues.js";
import { isHeldJobState } from "../queue/job-states.js";
import { ACTIVE_STATUSES } from "../store/deployment-statuses.js";
import type { Db } from "../store/prisma.js";
import { tryEnterProjectLane } from "../store/project-lane.js";
import { takeOverDeadAttempt } from "./take-over-dead-attempt.js";

export type Reconciled = { requeued: string[]; interrupted: string[] };

/**
 * Makes Redis agree with Postgres, which is the record. A deployment Postgres says is running
 * whose project lane is free has lost its worker: what that worker left running is stopped and
 * its running step recorded interrupted (see takeOverDeadAttempt). A deployment queued, or
 * running on a live worker, whose job Redis no longer holds (Redis restarted without
 * persistence, a job removed by hand) is queued again: its job id is the deployment id, and the
 * lane keeps a second run from overlapping the first. Nothing is lost and nothing stays
 * `running` forever.
 * Each worker reconciles only its own host's deployments, on its own queue (`hostId`): what a
 * dead attempt left running is on this machine, and a deployment of a host that is down waits
 * for that host, never runs elsewhere.
 */
export async function reconcile(
  db: Db,
  queues: HostQueues,
  hostId: string,
  logger: Logger,
  databaseUrl: string,
  maxAttempts: number,
): Promise<Reconciled> {
  const open = await db.deployment.findMany({
    where: { status: { in: [...ACTIVE_STATUSES] }, hostId },
    select: { id: true, status: true, projectId: true },
  });
  const queue = queues.deploy(hostId);
  const result: Reconciled = { requeued: [], interrupted: [] };
  for (const deployment of open) {
    if (deployment.status === "running") {
      const lane = await tryEnterProjectLane(databaseUrl, deployment.projectId);
      if (lane) {
        try {
          const takenOver = await takeOverDeadAttempt({ db, logger, maxAttempts }, deployment.id);
          if (takenOver) {
            result.interrupted.push(deployment.id);
            if (takenOver.outcome !== "queued") continue;
          }
        } finally {
          await lane.release();
        }
      }
    }
    const state = await queue.getJobState(deployment.id);
    if (isHeldJobState(state)) continue;
    // A finished job of the same id would make the new add a no-op.
    if (state !== "unknown") await queue.remove(deployment.id).catch(() => 0);
    await enqueueDeploy(queues, hostId, deployment.id);
    result.requeued.push(deployment.id);
  }
  if (result.requeued.length > 0 || result.interrupted.length > 0)
    logger.warn(result, "reconciled deployments the queue had lost");
  return result;
}
