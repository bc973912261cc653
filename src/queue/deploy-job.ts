import type { JobsOptions, Queue } from "bullmq";
import { z } from "zod";

export const DEPLOY_QUEUE = "deploys";
export const DEPLOY_JOB = "deploy";

/** A deploy job carries only the id of the deployment recorded before it was queued. */
export const deployJobPayload = z.object({ deploymentId: z.uuid() }).strict();
export type DeployJobPayload = z.infer<typeof deployJobPayload>;

const options: JobsOptions = {
  // Deploy failures are recorded, not thrown: BullMQ retries only what the worker itself could
  // not do (its database or Redis briefly gone), with backoff.
  attempts: 5,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

export async function enqueueDeploy(queue: Queue, deploymentId: string): Promise<void> {
  const data: DeployJobPayload = { deploymentId };
  // The deployment id (a uuid, so no ':') is the job id: enqueuing twice adds one job.
  await queue.add(DEPLOY_JOB, data, { ...options, jobId: deploymentId });
}
