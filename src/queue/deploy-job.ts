import type { JobsOptions } from "bullmq";
import { z } from "zod";
import type { HostQueues } from "./host-queues.js";

export const DEPLOY_JOB = "deploy";

/** A deploy job carries only the id of the deployment recorded before it was queued. */
export const deployJobPayload = z.object({ deploymentId: z.uuid() }).strict();
export type DeployJobPayload = z.infer<typeof deployJobPayload>;

/** Attempts a deploy gets in all: retries of a passing failure, and runs after a dead worker. */
export const DEPLOY_ATTEMPTS = 5;

/** The backoff type of deploy jobs: the worker computes it (retryDelayMs), from its config. */
export const DEPLOY_BACKOFF = "deploy";

const options: JobsOptions = {
  // Deploy failures are recorded, not thrown: BullMQ retries only what the worker itself could
  // not do (its database or Redis briefly gone), with backoff.
  attempts: DEPLOY_ATTEMPTS,
  backoff: { type: DEPLOY_BACKOFF },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

/** Queues a recorded deployment on its host's deploy queue (`deploys@<hostId>`). */
export async function enqueueDeploy(
  queues: HostQueues,
  hostId: string,
  deploymentId: string,
): Promise<void> {
  const data: DeployJobPayload = { deploymentId };
  // The deployment id (a uuid, so no ':') is the job id: enqueuing twice adds one job.
  await queues.deploy(hostId).add(DEPLOY_JOB, data, { ...options, jobId: deploymentId });
}

const MAX_RETRY_DELAY_MS = 10 * 60_000;

/** Exponential backoff from the worker's RETRY_BASE_DELAY_MS: base, 2×base, 4×base, … */
export function retryDelayMs(baseMs: number, attemptsMade: number): number {
  return Math.min(baseMs * 2 ** Math.max(attemptsMade - 1, 0), MAX_RETRY_DELAY_MS);
}
