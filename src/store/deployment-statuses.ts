import type { DeploymentStatus } from "@prisma/client";

// The schema's DeploymentStatus enum, as values the code can list: `satisfies` below refuses a
// status the enum lacks, and ExactlyTheEnum refuses one the enum has and this list forgets.

/** Every status a deployment can have, in the order of its life. */
export const DEPLOYMENT_STATUSES = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "superseded",
] as const satisfies readonly DeploymentStatus[];

/** Still to run, or running: a worker may claim it, and its release and logs are kept. */
export const ACTIVE_STATUSES = ["queued", "running"] as const satisfies readonly DeploymentStatus[];

/** A deployment in one of these never changes status again. */
export const ENDED_STATUSES = [
  "succeeded",
  "failed",
  "cancelled",
  "superseded",
] as const satisfies readonly DeploymentStatus[];

type ExactlyTheEnum = DeploymentStatus extends (typeof DEPLOYMENT_STATUSES)[number] ? true : never;
const everyStatusListed: ExactlyTheEnum = true;
void everyStatusListed;

/** Whether a deployment with this status is still queued or running. */
export function isActiveStatus(status: string): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

/** Whether a deployment with this status has ended for good. */
export function isEndedStatus(status: string): boolean {
  return (ENDED_STATUSES as readonly string[]).includes(status);
}

/** Ended without serving, so `retry` may run it again: it failed, or was cancelled. */
export const RETRYABLE_STATUSES = [
  "failed",
  "cancelled",
] as const satisfies readonly DeploymentStatus[];

/** Whether `retry` (the CLI's, the dashboard's button, the API's) may run this deployment again. */
export function isRetryableStatus(status: string): boolean {
  return (RETRYABLE_STATUSES as readonly string[]).includes(status);
}
