import { DelayedError, type Job } from "bullmq";
import { laneFreedHere, tryEnterProjectLane } from "./project-lane.js";

/** How long a job that found its project's lane taken waits before it looks again. */
const LANE_RETRY_MS = 1_000;

/**
 * Runs a job's work inside its project's lane (the one deploys run in), so it never overlaps a
 * deploy, backup or restore of the project. When the lane is taken the job goes back to the
 * queue (waitForLane), without using an attempt, as a deploy does.
 */
export async function holdProjectLane<T>(
  databaseUrl: string,
  projectId: string,
  job: Job,
  token: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const lane = await tryEnterProjectLane(databaseUrl, projectId);
  if (!lane) return waitForLane(job, token, projectId);
  try {
    return await work();
  } finally {
    await lane.release();
  }
}

/**
 * Puts back a job whose project's lane is taken, without using an attempt. When this process
 * holds the lane, the job is promoted the moment the lane is given up; otherwise (another
 * worker holds it) it looks again after LANE_RETRY_MS. Throws BullMQ's DelayedError, as the
 * processor must.
 */
export async function waitForLane(
  job: Job,
  token: string | undefined,
  projectId: string,
): Promise<never> {
  const freed = laneFreedHere(projectId);
  await job.moveToDelayed(Date.now() + LANE_RETRY_MS, token);
  // Not awaited: the job's slot is free while it waits. Promoting fails harmlessly when the
  // job has left the delayed set already (its retry came first).
  freed?.then(() => job.promote()).catch(() => {});
  throw new DelayedError();
}
