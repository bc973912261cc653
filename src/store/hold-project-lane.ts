import { DelayedError, type Job } from "bullmq";
import { tryEnterProjectLane } from "./project-lane.js";

const LANE_RETRY_MS = 1_000;

/**
 * Runs a job's work inside its project's lane (the one deploys run in), so it never overlaps a
 * deploy, backup or restore of the project. When the lane is taken the job goes back to the
 * queue for a second, without using an attempt, as a deploy does.
 */
export async function holdProjectLane<T>(
  databaseUrl: string,
  projectId: string,
  job: Job,
  token: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const lane = await tryEnterProjectLane(databaseUrl, projectId);
  if (!lane) {
    await job.moveToDelayed(Date.now() + LANE_RETRY_MS, token);
    throw new DelayedError();
  }
  try {
    return await work();
  } finally {
    await lane.release();
  }
}
