import type { JobsOptions } from "bullmq";
import { z } from "zod";
import type { HostQueues } from "./host-queues.js";

/** A stage of a project's move, on the deploy queue of the host that stage runs on. */
export const MOVE_JOB = "move";

/** The stages a move job may run (moves/move-stages.ts orders them and names their host). */
export const MOVE_JOB_STAGES = [
  "backup",
  "restore",
  "deploy",
  "routes",
  "cleanup",
  "unfreeze",
] as const;
export type MoveJobStage = (typeof MOVE_JOB_STAGES)[number];

/** A move job carries the ProjectMove's id and the stage to run. */
export const moveJobPayload = z
  .object({ moveId: z.uuid(), stage: z.enum(MOVE_JOB_STAGES) })
  .strict();

const options: JobsOptions = {
  // A stage's failure is recorded on the move (which then stops); the queue does not retry it.
  // A worker that dies mid-stage hands the job back through BullMQ's stalled check; each stage
  // picks up from what the record says it already did.
  attempts: 1,
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

/**
 * The unfreeze of a failed move's source goes first (ahead of the host's waiting deploys, a
 * push held during the move among them, whose schema step would fail on a database still
 * read-only) and is retried: until it runs, the project's database on its source host refuses
 * writes. (It is idempotent, and records nothing on the move until it is done.)
 */
const unfreezeOptions: JobsOptions = {
  ...options,
  lifo: true,
  // Every 10 s for 10 minutes (a source whose Postgres restarts, say).
  attempts: 60,
  backoff: { type: "fixed", delay: 10_000 },
};

/**
 * Queues one stage of a move on `deploys@<hostId>`; queuing the same stage twice adds one job
 * (a cleanup asked again after a failed one passes `again`, a fresh suffix, to be queued anew).
 */
export async function enqueueMoveStage(
  queues: HostQueues,
  hostId: string,
  moveId: string,
  stage: MoveJobStage,
  again?: string,
): Promise<void> {
  const jobId = `move-${moveId}-${stage}${again ? `-${again}` : ""}`;
  await queues
    .deploy(hostId)
    .add(
      MOVE_JOB,
      { moveId, stage },
      { ...(stage === "unfreeze" ? unfreezeOptions : options), jobId },
    );
}
