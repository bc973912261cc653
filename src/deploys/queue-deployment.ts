import type { Queue } from "bullmq";
import { DEPLOY_STEP_NAMES } from "../pipeline/step-names.js";
import { enqueueDeploy } from "../queue/deploy-job.js";
import { createDeployment } from "../store/deployments.js";
import type { SqlDb } from "../store/sql-transaction.js";
import type { DeployRequest } from "./deploy-request.js";

/**
 * Records a deployment, then queues its job, in that order: the row (and whatever belongs with
 * it) is committed before Redis hears of it, so the reconciler can always find what Redis lost.
 * Every way a deployment starts (a deploy, a push, a retry, a rollback) goes through here.
 * `needsJob` says whether the recorded deployment still needs its job (a repeated push does not).
 */
export async function recordThenQueue<T extends { deploymentId: string }>(
  queue: Queue,
  record: () => Promise<T>,
  needsJob: (recorded: T) => boolean = () => true,
): Promise<T> {
  const recorded = await record();
  if (needsJob(recorded)) await enqueueDeploy(queue, recorded.deploymentId);
  return recorded;
}

/**
 * Records and queues a deployment of a validated request; resolves with its id. On a bare pg
 * pool it loads nothing of Prisma (the CLI's `deploy`, which must answer at once).
 */
export async function queueDeployment(
  db: SqlDb,
  queue: Queue,
  request: DeployRequest,
  trigger: string,
  requestedBy: string | null = null,
): Promise<string> {
  const { deploymentId } = await recordThenQueue(queue, async () => {
    const { id } = await createDeployment(db, {
      ...request,
      trigger,
      lineage: { requestedBy },
      steps: DEPLOY_STEP_NAMES,
    });
    return { deploymentId: id };
  });
  return deploymentId;
}
