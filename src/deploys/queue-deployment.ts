import type { Queue } from "bullmq";
import { DEPLOY_STEP_NAMES } from "../pipeline/step-names.js";
import { enqueueDeploy } from "../queue/deploy-job.js";
import { createDeployment } from "../store/deployments.js";
import type { Db } from "../store/prisma.js";
import type { DeployRequest } from "./deploy-request.js";

/**
 * Records a deployment of a validated request and queues its job, in that order: the row is
 * committed before Redis hears of it, so the reconciler can always find what Redis lost.
 */
export async function queueDeployment(
  db: Db,
  queue: Queue,
  request: DeployRequest,
  trigger: string,
  requestedBy: string | null = null,
): Promise<string> {
  const { id } = await createDeployment(db, {
    ...request,
    trigger,
    lineage: { requestedBy },
    steps: DEPLOY_STEP_NAMES,
  });
  await enqueueDeploy(queue, id);
  return id;
}
